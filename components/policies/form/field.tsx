"use client";

// The policy form's state, shared by its sections: the document, how to change
// it, where the validator found errors, the inventory to pick from, and whether
// the form may be edited. A field reads and writes its own path with useField.
import { createContext, useContext, type ReactNode } from "react";
import { Input } from "@/components/ui/primitives";
import { getIn, setIn, splitList, type Json, type Path } from "../form-model";

export interface Inventory {
  tenants: string[];
  clusters: { name: string; region: string }[];
  regions: string[];
  namespaces: string[];
  workloads: string[];
  services: string[];
  gateways: string[];
  podLabels: Record<string, string[]>;
  namespaceLabels: Record<string, string[]>;
}

export interface PolicyFormState {
  doc: Json;
  /** Replace the whole document (for edits that touch several fields at once). */
  replace(doc: Json): void;
  errorAt(path: Path): string | undefined;
  inventory: Inventory | undefined;
  disabled: boolean;
}

const FormContext = createContext<PolicyFormState | null>(null);

export function PolicyFormProvider({ value, children }: { value: PolicyFormState; children: ReactNode }) {
  return <FormContext.Provider value={value}>{children}</FormContext.Provider>;
}

export function usePolicyForm(): PolicyFormState {
  const form = useContext(FormContext);
  if (!form) throw new Error("usePolicyForm is used outside the policy form");
  return form;
}

/** A value shown in a text field: strings as they are, numbers as digits, nothing as "". */
export const text = (v: unknown) => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));
/** A list shown in one text field, comma-separated. */
export const listText = (v: unknown) => (Array.isArray(v) ? v.map(text).join(", ") : "");

export interface Field {
  value: unknown;
  /** The value as a text field shows it. */
  text: string;
  /** `undefined` removes the field (or the list item). */
  set(value: Json | undefined): void;
  error: string | undefined;
  disabled: boolean;
}

/** One place in the document: its value, a setter, its validation error. */
export function useField(path: Path): Field {
  const form = usePolicyForm();
  const value = getIn(form.doc, path);
  return {
    value,
    text: text(value),
    set: (next) => form.replace(setIn(form.doc, path, next)),
    error: form.errorAt(path),
    disabled: form.disabled,
  };
}

export function ErrorText({ message }: { message: string | undefined }) {
  return message ? (
    <span role="alert" className="mt-0.5 block text-xs text-rose-700">
      {message}
    </span>
  ) : null;
}

/** A field's error at `path` (for places that show errors of fields they do not edit). */
export function ErrorAt({ path }: { path: Path }) {
  return <ErrorText message={usePolicyForm().errorAt(path)} />;
}

export function Labeled({ label, children, error, className }: { label: string; children: ReactNode; error?: string; className?: string }) {
  return (
    <label className={`block text-xs ${className ?? ""}`}>
      <span className="mb-0.5 block font-medium text-slate-600">{label}</span>
      {children}
      <ErrorText message={error} />
    </label>
  );
}

/** A comma-separated list typed in one field; an empty list removes the field. */
export function ListInput({ path, label, placeholder, list: datalist }: { path: Path; label: string; placeholder: string; list?: string }) {
  const field = useField(path);
  return (
    <Input
      aria-label={label}
      list={datalist}
      placeholder={placeholder}
      value={listText(field.value)}
      disabled={field.disabled}
      className="font-mono text-xs"
      onChange={(e) => {
        const xs = splitList(e.target.value);
        field.set(xs.length > 0 ? xs : undefined);
      }}
    />
  );
}

/** The inventory as datalists the fields suggest from. */
export function Datalists() {
  const { inventory } = usePolicyForm();
  if (!inventory) return null;
  const opts = (id: string, values: readonly string[]) => (
    <datalist id={id} key={id}>
      {values.map((v) => (
        <option key={v} value={v} />
      ))}
    </datalist>
  );
  return (
    <>
      {opts("dl-namespaces", inventory.namespaces)}
      {opts("dl-services", inventory.services)}
      {opts("dl-gateways", inventory.gateways)}
      {opts("dl-pod-label-keys", Object.keys(inventory.podLabels))}
      {opts("dl-ns-label-keys", Object.keys(inventory.namespaceLabels))}
      {Object.entries(inventory.podLabels).map(([k, vs]) => opts(`dl-pod-${k}`, vs))}
      {Object.entries(inventory.namespaceLabels).map(([k, vs]) => opts(`dl-ns-${k}`, vs))}
    </>
  );
}
