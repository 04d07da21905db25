"use client";
// Uploading a flow dataset: the browser streams the file to the server (XMLHttpRequest, for its
// upload progress events); the server writes it to disk as it arrives and then reads it.
import { useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Button, Card, Field, Input, Notice, Select } from "@/components/ui/primitives";
import { DATASET_UPLOAD_PATH, MAX_DATASET_BYTES } from "@/lib/simulator";
import { formatBytes } from "./format";

interface Upload {
  loaded: number;
  total: number;
}

export function UploadDataset() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [format, setFormat] = useState<"auto" | "csv">("auto");
  const [progress, setProgress] = useState<Upload | null>(null);
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const request = useRef<XMLHttpRequest | null>(null);
  const form = useRef<HTMLFormElement | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    if (file.size > MAX_DATASET_BYTES) {
      setMessage({
        tone: "error",
        text: `${file.name} is ${formatBytes(file.size)}: a dataset may be at most ${formatBytes(MAX_DATASET_BYTES)}.`,
      });
      return;
    }
    const datasetName = name.trim() || file.name;
    const xhr = new XMLHttpRequest();
    request.current = xhr;
    xhr.open("POST", `${DATASET_UPLOAD_PATH}?${new URLSearchParams({ name: datasetName, format })}`);
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.upload.onprogress = (ev) => setProgress({ loaded: ev.loaded, total: ev.lengthComputable ? ev.total : file.size });
    xhr.onload = () => {
      request.current = null;
      setProgress(null);
      let body: { message?: string; name?: string } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // a proxy's HTML error page: the status says enough
      }
      if (xhr.status === 201) {
        setMessage({ tone: "success", text: `Uploaded ${datasetName}: it is being read; its records appear in the list below.` });
        setFile(null);
        setName("");
        form.current?.reset();
      } else setMessage({ tone: "error", text: body.message ?? `The upload failed (HTTP ${xhr.status}).` });
      void queryClient.invalidateQueries({ queryKey: trpc.simulator.datasets.queryKey() });
    };
    xhr.onerror = () => {
      request.current = null;
      setProgress(null);
      setMessage({ tone: "error", text: "The upload was interrupted (network error)." });
    };
    xhr.onabort = () => {
      request.current = null;
      setProgress(null);
      setMessage({ tone: "error", text: "Upload cancelled." });
    };
    setMessage(null);
    setProgress({ loaded: 0, total: file.size });
    xhr.send(file);
  };

  const percent = progress ? Math.floor((100 * progress.loaded) / Math.max(1, progress.total)) : 0;
  return (
    <Card title="Upload a flow dataset">
      <form ref={form} className="grid gap-3 md:grid-cols-4" onSubmit={submit} aria-label="Upload a dataset">
        <Field label="File" hint="Hubble JSON lines (hubble observe -o json), Policyplane JSON lines, or CSV; gzip accepted; up to 2 GB">
          <Input
            type="file"
            aria-label="Dataset file"
            onChange={(e) => {
              const f = e.target.files?.[0] ?? null;
              setFile(f);
              if (f && !name) setName(f.name);
            }}
            required
          />
        </Field>
        <Field label="Name">
          <Input
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={200}
            aria-label="Dataset name"
            placeholder="last week, prod-eu-1"
          />
        </Field>
        <Field label="Format">
          <Select value={format} onChange={(e) => setFormat(e.target.value as "auto" | "csv")} aria-label="Format">
            <option value="auto">JSON lines (detected per line)</option>
            <option value="csv">CSV with a header</option>
          </Select>
        </Field>
        <div className="flex items-end gap-2">
          <Button type="submit" disabled={!file || progress !== null}>
            {progress ? "Uploading…" : "Upload"}
          </Button>
          {progress ? (
            <Button type="button" variant="secondary" onClick={() => request.current?.abort()}>
              Cancel
            </Button>
          ) : null}
        </div>
      </form>
      {progress ? (
        <div className="mt-3" data-testid="upload-progress">
          <div
            className="h-2 w-full overflow-hidden rounded bg-slate-100"
            role="progressbar"
            aria-label="Upload progress"
            aria-valuenow={percent}
            aria-valuemin={0}
            aria-valuemax={100}
          >
            <div className="h-2 bg-brand-600 transition-all" style={{ width: `${percent}%` }} />
          </div>
          <p className="mt-1 text-xs text-slate-600">
            {formatBytes(progress.loaded)} of {formatBytes(progress.total)} ({percent}%)
          </p>
        </div>
      ) : null}
      {message ? (
        <div className="mt-3">
          <Notice tone={message.tone}>{message.text}</Notice>
        </div>
      ) : null}
    </Card>
  );
}
