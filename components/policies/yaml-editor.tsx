"use client";

// The YAML view: CodeMirror 6 with YAML highlighting and the engine reader's
// problems shown inline at their line and column. One long-lived EditorView;
// text from outside (the form) replaces the document only when it differs.
import { yaml } from "@codemirror/lang-yaml";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { basicSetup } from "codemirror";
import { useEffect, useRef } from "react";
import type { YamlProblem } from "@/lib/policy-yaml";

function toDiagnostics(state: EditorState, problems: readonly YamlProblem[]): Diagnostic[] {
  const lines = state.doc.lines;
  return problems.map((p) => {
    const line = state.doc.line(Math.min(Math.max(p.line, 1), lines));
    const from = Math.min(line.from + Math.max(p.column - 1, 0), line.to);
    const to = from < line.to ? line.to : from;
    return { from, to, severity: p.severity, message: p.path ? `${p.path}: ${p.message}` : p.message, source: "policyplane" };
  });
}

export function YamlEditor({
  value,
  onChange,
  problems,
  readOnly,
  label,
}: {
  value: string;
  onChange: (text: string) => void;
  problems: readonly YamlProblem[];
  readOnly?: boolean;
  label: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  useEffect(() => {
    onChangeRef.current = onChange;
  }, [onChange]);

  useEffect(() => {
    if (!host.current) return;
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          yaml(),
          lintGutter(),
          EditorState.readOnly.of(Boolean(readOnly)),
          EditorView.contentAttributes.of({ "aria-label": label, "data-testid": "yaml-editor" }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) onChangeRef.current(u.state.doc.toString());
          }),
          EditorView.theme({
            "&": { fontSize: "12.5px" },
            ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace" },
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The view is created once; later values arrive through the effect below.
  }, []);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const current = v.state.doc.toString();
    if (current !== value) v.dispatch({ changes: { from: 0, to: current.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    v.dispatch(setDiagnostics(v.state, toDiagnostics(v.state, problems)));
  }, [problems, value]);

  return (
    <div
      ref={host}
      className="h-full min-h-[28rem] overflow-hidden rounded-lg ring-1 ring-slate-300 [&_.cm-editor]:h-full [&_.cm-editor]:max-h-[44rem]"
    />
  );
}
