"use client";

// The policy editor: the visual form and the YAML view edit one text; beside
// the form, in tabs with the YAML, the engine's live findings, the workloads the
// subject selects and the compiled output. "Save draft" writes a new immutable version on the server.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { draftOnGraphUrl } from "@/components/graph/url-state";
import { useDebounced } from "@/components/ui/use-debounced";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Input, Notice, Select } from "@/components/ui/primitives";
import { Tabs } from "@/components/ui/tabs";
import { useLeaveWarning, useLocalDraft, type LocalDraft } from "@/components/ui/unsaved-edits";
import { formatPath, locateInYaml, readPolicyYaml, type YamlProblem } from "@/lib/policy-yaml";
import { CompiledOutput } from "./compiled-output";
import { isObject, type Json, type Path } from "./form-model";
import { PolicyForm } from "./policy-form";
import { ProposeChangeButton } from "./propose-change";
import { YamlEditor } from "./yaml-editor";
import { applyFormEdit } from "./yaml-patch";

const severityTone = { error: "red", warning: "amber", info: "slate" } as const;

export interface EditorStart {
  /** null for a new policy. */
  name: string | null;
  yaml: string;
  baseVersion: number | null;
  releasedVersion: number | null;
  mayDraft: boolean;
}

export function PolicyEditor({ start }: { start: EditorStart }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [text, setText] = useState(start.yaml);
  /** The text the server holds as the version being edited: edits are unsaved while the text differs. */
  const [savedText, setSavedText] = useState(start.yaml);
  const [baseVersion, setBaseVersion] = useState(start.baseVersion);
  const [message, setMessage] = useState("");
  const [cluster, setCluster] = useState<string | undefined>(undefined);
  const [target, setTarget] = useState<"anp" | "cnp-v1alpha2">("anp");
  const [saved, setSaved] = useState<string | null>(null);
  const local = useMemo(() => readPolicyYaml(text), [text]);
  const debounced = useDebounced(text, 350);
  const inventory = useQuery(trpc.policies.inventory.queryOptions());
  const analysis = useQuery({
    ...trpc.policies.analyse.queryOptions({ yaml: debounced, cluster, target }),
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
  const fresh = analysis.data && !analysis.isPlaceholderData && debounced === text ? analysis.data : null;

  const save = useMutation(
    trpc.policies.saveDraft.mutationOptions({
      onSuccess: async (result, input) => {
        setSaved(
          result.created ? `Saved draft version ${result.version}.` : `No change: version ${result.version} already holds this content.`,
        );
        setBaseVersion(result.version);
        setSavedText(input.yaml);
        // Saved on the server: the local safety copy has done its job.
        discardDraft();
        setLeftover(null);
        setMessage("");
        await queryClient.invalidateQueries({ queryKey: trpc.policies.pathKey() });
        if (start.name === null) router.push(`/policies/${result.name}`);
      },
      onError: () => setSaved(null),
    }),
  );

  const dirty = start.mayDraft && text !== savedText;
  useLeaveWarning(dirty);
  const localDraft = useLocalDraft(`policyplane.editor.${start.name ?? "new"}`, text, savedText, baseVersion);
  /** The local draft a previous visit left, and whether it is in the editor now. */
  const [leftover, setLeftover] = useState<{ draft: LocalDraft; applied: boolean } | null>(null);
  const { found: foundDraft, discard: discardDraft } = localDraft;
  useEffect(() => {
    if (!foundDraft || !start.mayDraft) return;
    // Edits made on the version still being edited come back by themselves; edits made on another version are offered.
    const applied = foundDraft.baseVersion === start.baseVersion;
    if (applied) setText(foundDraft.text);
    setLeftover({ draft: foundDraft, applied });
  }, [foundDraft, start.mayDraft, start.baseVersion]);

  // A saved policy keeps its name (its history and change requests hang on it): say so while typing, not on save.
  const typedName =
    isObject(local.raw) && isObject(local.raw.metadata) && typeof local.raw.metadata.name === "string" ? local.raw.metadata.name : null;
  const renamed = start.name !== null && typedName !== null && typedName !== start.name;
  const renameProblem: YamlProblem | null = useMemo(
    () =>
      renamed
        ? {
            ...locateInYaml(text, ["metadata", "name"]),
            path: "metadata.name",
            message: `a saved policy keeps its name ("${start.name}"): put the name back, or start a new policy under the new name`,
            severity: "error",
          }
        : null,
    [renamed, text, start.name],
  );
  // The server's refusal is about the text it was given: once the text changes, it no longer applies.
  const saveFailure = save.error && save.variables?.yaml === text ? save.error : null;

  // Problems at a line: the local reader's at once, the server's (unknown tenant, lint) when they arrive.
  const problems: YamlProblem[] = useMemo(() => {
    const out = [...local.errors, ...(renameProblem ? [renameProblem] : [])];
    const seen = new Set(out.map((p) => `${p.line}:${p.path}:${p.message}`));
    for (const p of fresh?.errors ?? []) if (!seen.has(`${p.line}:${p.path}:${p.message}`)) out.push(p);
    for (const f of fresh?.findings ?? [])
      if (f.severity !== "info" && f.line > 0)
        out.push({
          line: f.line,
          column: f.column,
          path: f.path,
          message: `${f.message} (${f.id})`,
          severity: f.severity === "error" ? "error" : "warning",
        });
    const cause =
      saveFailure instanceof TRPCClientError
        ? (saveFailure.data as { position?: { line: number; column: number } | null } | undefined)
        : undefined;
    if (saveFailure && cause?.position && !local.errors.length)
      out.push({ ...cause.position, path: "", message: saveFailure.message, severity: "error" });
    return out;
  }, [local.errors, renameProblem, fresh, saveFailure]);
  const errorAt = (path: Path) => {
    const key = formatPath(path);
    return problems.find((p) => p.severity === "error" && p.path === key)?.message;
  };

  const formUsable = isObject(local.raw);
  // While the YAML does not parse, the form keeps showing the last values that did (frozen, with a banner).
  const lastGood = useRef<Json>(formUsable ? (local.raw as Json) : {});
  if (formUsable) lastGood.current = local.raw as Json;
  const name = typedName ?? start.name ?? "";
  const matches = fresh?.matches ?? analysis.data?.matches ?? [];
  const errorCount = problems.filter((p) => p.severity === "error").length;
  const findings = fresh?.findings ?? [];
  const saveError = saveFailure ? describeError(saveFailure).message : null;

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3 rounded-xl border border-slate-200 bg-white px-4 py-3 shadow-sm">
        <div className="min-w-0">
          <div className="font-mono text-sm font-semibold text-slate-900">{name || "new policy"}</div>
          <div className="text-xs text-slate-500">
            {baseVersion ? `editing from version ${baseVersion}` : "not saved yet"}
            {start.releasedVersion ? ` · released version ${start.releasedVersion}` : " · never released"}
          </div>
        </div>
        {errorCount > 0 ? (
          <Badge tone="red">{`${errorCount} error${errorCount === 1 ? "" : "s"}`}</Badge>
        ) : (
          <Badge tone="green">valid</Badge>
        )}
        <div className="ml-auto flex items-center gap-2">
          {start.name ? (
            <Link href={`/policies/${start.name}/history`} className="text-sm font-medium text-brand-700 hover:underline">
              History
            </Link>
          ) : null}
          {start.mayDraft ? (
            <>
              <Input
                aria-label="Change note"
                placeholder="What changed (optional)"
                value={message}
                onChange={(e) => setMessage(e.target.value)}
                className="w-64"
              />
              <Button
                type="button"
                className="whitespace-nowrap"
                disabled={save.isPending || errorCount > 0}
                onClick={() => save.mutate({ policyName: start.name, baseVersion, yaml: text, message })}
              >
                {save.isPending ? "Saving…" : "Save draft"}
              </Button>
              {start.name && baseVersion !== null && (start.releasedVersion === null || baseVersion > start.releasedVersion) ? (
                <ProposeChangeButton
                  preselect={[start.name]}
                  disabledReason={
                    errorCount > 0
                      ? "Fix the errors first."
                      : dirty
                        ? "Save the draft first: a change request proposes saved versions."
                        : undefined
                  }
                />
              ) : null}
            </>
          ) : (
            <span className="text-xs text-slate-500" data-testid="read-only-note">
              Read only: drafting this policy needs {start.name === null ? "the author role" : "more rights than you hold"}.
            </span>
          )}
        </div>
      </div>
      {leftover ? (
        <div data-testid="local-draft">
          <Notice tone="info">
            {leftover.applied
              ? "Restored your unsaved edits"
              : `Unsaved edits made on ${leftover.draft.baseVersion === null ? "an unsaved policy" : `version ${leftover.draft.baseVersion}`} are kept`}{" "}
            from {new Date(leftover.draft.at).toLocaleString()} in this browser.{" "}
            {leftover.applied ? null : (
              <button
                type="button"
                className="font-medium underline"
                onClick={() => {
                  setText(leftover.draft.text);
                  setLeftover({ ...leftover, applied: true });
                }}
              >
                Restore them
              </button>
            )}{" "}
            <button
              type="button"
              className="font-medium underline"
              onClick={() => {
                if (leftover.applied) setText(savedText);
                setLeftover(null);
                discardDraft();
              }}
            >
              Discard them
            </button>
          </Notice>
        </div>
      ) : null}
      {saved && !dirty ? (
        <Notice tone="success">
          {saved} It reaches a release only through a change request.{" "}
          <Link href={draftOnGraphUrl(matches[0])} className="font-medium underline">
            See this draft on the graph
          </Link>
        </Notice>
      ) : null}
      {saveError ? (
        <div data-testid="save-error">
          <Notice tone="error">The server refused to save: {saveError}</Notice>
        </div>
      ) : null}

      <div className="grid items-start gap-4 xl:grid-cols-2">
        <Card title="Form" className="min-w-0">
          {formUsable ? null : (
            <div className="mb-3" data-testid="form-paused">
              <Notice tone="warning">
                The YAML does not parse, so the form is paused and shows the last valid values. Fix the YAML (errors are marked at their
                line) and the form follows.
              </Notice>
            </div>
          )}
          <PolicyForm
            doc={lastGood.current}
            onChange={(next) => setText((current) => applyFormEdit(current, next))}
            errorAt={errorAt}
            inventory={inventory.data}
            disabled={!formUsable || !start.mayDraft}
            matched={fresh ? fresh.matches : null}
            isNew={start.name === null}
          />
        </Card>
        <div className="min-w-0 self-start xl:sticky xl:top-4">
          <Tabs
            label="Policy views"
            tabs={[
              {
                id: "yaml",
                label: "YAML",
                content: (
                  <>
                    <YamlEditor value={text} onChange={setText} problems={problems} readOnly={!start.mayDraft} label="Policy YAML" />
                    <ul className="mt-2 space-y-1 text-xs" data-testid="yaml-problems">
                      {problems
                        .filter((p) => p.severity === "error")
                        .map((p, i) => (
                          <li key={i} className="text-rose-700">
                            {p.line > 0 ? `Line ${p.line}, column ${p.column}: ` : ""}
                            {p.path ? <span className="font-mono">{p.path}</span> : null} {p.message}
                          </li>
                        ))}
                    </ul>
                  </>
                ),
              },
              {
                id: "lint",
                label: (
                  <>
                    Lint{" "}
                    {fresh && findings.length > 0 ? (
                      <Badge
                        tone={
                          findings.some((f) => f.severity === "error")
                            ? "red"
                            : findings.some((f) => f.severity === "warning")
                              ? "amber"
                              : "slate"
                        }
                      >
                        {findings.length}
                      </Badge>
                    ) : null}
                  </>
                ),
                content: (
                  <div data-testid="lint-findings">
                    {!fresh ? (
                      <p className="text-xs text-slate-500">
                        {errorCount > 0 && !analysis.isFetching ? "Fix the errors to lint." : "Checking…"}
                      </p>
                    ) : findings.length === 0 ? (
                      <p className="text-xs text-emerald-700">No findings.</p>
                    ) : (
                      <ul className="space-y-1.5 text-xs">
                        {findings.map((f, i) => (
                          <li key={i}>
                            <Badge tone={severityTone[f.severity]}>{f.severity}</Badge>{" "}
                            <span className="font-mono text-slate-500">{f.id}</span>{" "}
                            {f.line > 0 ? <span className="text-slate-500">line {f.line}:</span> : null} {f.message}
                          </li>
                        ))}
                      </ul>
                    )}
                  </div>
                ),
              },
              {
                id: "matched",
                label: `Matched workloads${fresh ? ` (${matches.length})` : ""}`,
                content: (
                  <>
                    <ul className="max-h-[32rem] space-y-0.5 overflow-auto font-mono text-xs" data-testid="matched-workloads">
                      {matches.map((m) => (
                        <li key={`${m.cluster}/${m.namespace}/${m.name}`}>
                          <span className="text-slate-400">{m.cluster}</span> {m.namespace}/{m.name}
                        </li>
                      ))}
                    </ul>
                    {fresh && matches.length === 0 ? (
                      <p className="text-xs text-amber-800">The subject selects no workload in any cluster.</p>
                    ) : null}
                  </>
                ),
              },
              {
                id: "compiled",
                label: "Compiled",
                content: (
                  <>
                    <div className="mb-3 flex gap-2">
                      <Select
                        aria-label="Cluster"
                        className="py-0.5 text-xs"
                        value={cluster ?? analysis.data?.compiled?.cluster ?? ""}
                        onChange={(e) => setCluster(e.target.value)}
                      >
                        {(analysis.data?.clusters ?? []).map((c) => (
                          <option key={c.name}>{c.name}</option>
                        ))}
                      </Select>
                      <Select
                        aria-label="Admin target"
                        className="py-0.5 text-xs"
                        value={target}
                        onChange={(e) => setTarget(e.target.value as "anp" | "cnp-v1alpha2")}
                      >
                        <option value="anp">ANP v1alpha1</option>
                        <option value="cnp-v1alpha2">CNP v1alpha2</option>
                      </Select>
                    </div>
                    {analysis.data?.compiled ? (
                      <CompiledOutput compiled={analysis.data.compiled} policyName={name} />
                    ) : (
                      <p className="text-xs text-slate-500">Shown once the YAML is valid.</p>
                    )}
                  </>
                ),
              },
            ]}
          />
        </div>
      </div>
    </div>
  );
}
