"use client";

// The comments thread of a change request: comments on the whole change or on one line of one
// policy's diff (picked here by policy, side and line; the quoted line is kept with the comment).
// Anyone who may read the change may comment; the server refuses what it must and says why.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Notice, Select } from "@/components/ui/primitives";
import { MAX_COMMENT_CHARS as MAX_CHARS } from "@/lib/comments";
import { textLines } from "@/lib/text-lines";

const when = (d: Date) => new Date(d).toISOString().slice(0, 16).replace("T", " ");

export function CommentsThread({ number }: { number: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const comments = useQuery(trpc.reviews.comments.queryOptions({ number }));
  const change = useQuery(trpc.changes.get.queryOptions({ number }));
  const [body, setBody] = useState("");
  const [target, setTarget] = useState(""); // "" or `${side}:${policy}`
  const [line, setLine] = useState(1);
  const add = useMutation(
    trpc.reviews.comment.mutationOptions({
      onSuccess: async () => {
        setBody("");
        setTarget("");
        // A first load still in flight was answered before this comment existed, and invalidating does not
        // refetch a query that has no data yet: cancel it, so the refetch sees the comment.
        await queryClient.cancelQueries({ queryKey: trpc.reviews.pathKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.reviews.pathKey() });
      },
    }),
  );
  const items = change.data?.items ?? [];
  const [side, policy] = target ? (target.split(/:(.*)/s) as ["released" | "proposed", string]) : [null, null];
  const item = items.find((i) => i.name === policy);
  const lines = item && side ? textLines(side === "proposed" ? item.toYaml : item.fromYaml) : [];

  function submit(event: FormEvent) {
    event.preventDefault();
    add.mutate({ number, body, anchor: policy && side ? { policy, side, line } : null });
  }

  return (
    <Card title="Comments" id="comments">
      <div className="space-y-4 text-sm" data-testid="comments">
        {comments.isError ? <Notice tone="error">{describeError(comments.error).message}</Notice> : null}
        {(comments.data ?? []).length === 0 ? <p className="text-xs text-slate-500">No comments yet.</p> : null}
        <ul className="space-y-3">
          {(comments.data ?? []).map((c) => (
            <li key={c.id} className="rounded-md border border-slate-200 p-3" data-testid="comment">
              <div className="flex flex-wrap items-center gap-2 text-xs text-slate-500">
                <span className="font-medium text-slate-800">{c.by}</span>
                <span>{when(c.at)}</span>
                {c.anchor ? (
                  <span>
                    on <span className="font-mono">{c.anchor.policy}</span> ({c.anchor.side}) line {c.anchor.line}
                  </span>
                ) : null}
                {c.current ? null : <Badge tone="slate">on earlier content {c.contentHash.slice(0, 12)}</Badge>}
              </div>
              {c.anchor ? (
                <pre className="mt-1 overflow-x-auto rounded bg-slate-50 px-2 py-1 font-mono text-xs text-slate-700">
                  {c.anchor.line}
                  {"  "}
                  {c.anchor.text}
                </pre>
              ) : null}
              <p className="mt-1 whitespace-pre-wrap text-slate-800 [overflow-wrap:anywhere]">{c.body}</p>
            </li>
          ))}
        </ul>
        <form onSubmit={submit} className="space-y-2" aria-label="Add a comment">
          {add.error ? <Notice tone="error">{describeError(add.error).message}</Notice> : null}
          <div className="flex flex-wrap items-end gap-2">
            <label className="text-xs text-slate-600">
              On
              <Select aria-label="Comment on" value={target} onChange={(e) => (setTarget(e.target.value), setLine(1))}>
                <option value="">the whole change</option>
                {items.flatMap((i) => [
                  <option key={`p:${i.name}`} value={`proposed:${i.name}`}>
                    {i.name}, proposed v{i.toVersion}
                  </option>,
                  ...(i.fromVersion
                    ? [
                        <option key={`r:${i.name}`} value={`released:${i.name}`}>
                          {i.name}, released v{i.fromVersion}
                        </option>,
                      ]
                    : []),
                ])}
              </Select>
            </label>
            {lines.length ? (
              <label className="text-xs text-slate-600">
                Line
                <Select aria-label="Line" value={line} onChange={(e) => setLine(Number(e.target.value))} className="max-w-md font-mono">
                  {lines.map((text, i) => (
                    <option key={i} value={i + 1}>
                      {i + 1}: {text.trim().slice(0, 60)}
                    </option>
                  ))}
                </Select>
              </label>
            ) : null}
          </div>
          <textarea
            aria-label="Comment"
            value={body}
            onChange={(e) => setBody(e.target.value)}
            rows={3}
            className="block w-full max-w-3xl rounded-md border border-slate-300 px-2 py-1 text-sm"
            placeholder="Ask, suggest, or note what you checked"
          />
          <div className="flex items-center gap-3">
            <Button type="submit" disabled={add.isPending || !body.trim()}>
              Comment
            </Button>
            <span className={`text-xs ${body.length > MAX_CHARS ? "text-rose-700" : "text-slate-400"}`}>
              {body.length.toLocaleString("en")} / {MAX_CHARS.toLocaleString("en")}
            </span>
          </div>
        </form>
      </div>
    </Card>
  );
}
