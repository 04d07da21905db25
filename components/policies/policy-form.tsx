"use client";

// The visual form: edits the document the YAML view shows, field by field.
// It composes sections (metadata, subject, rules or a constraint's denied
// traffic); each field reads and writes its own path through useField, and
// every change goes through the pure operations of form-model.ts.
import { ConstraintSection } from "./form/constraint";
import { Datalists, PolicyFormProvider, text, type Inventory } from "./form/field";
import { MetadataSection } from "./form/metadata";
import { RulesSection } from "./form/rules";
import { SubjectSection, type Matched } from "./form/subject";
import { getIn, type Json, type Path } from "./form-model";

export type { Inventory } from "./form/field";

export function PolicyForm({
  doc,
  onChange,
  errorAt,
  inventory,
  disabled,
  matched,
  isNew,
}: {
  doc: Json;
  onChange: (doc: Json) => void;
  errorAt: (path: Path) => string | undefined;
  inventory: Inventory | undefined;
  disabled: boolean;
  /** Workloads the subject selects (null while the engine is working). */
  matched: Matched | null;
  isNew: boolean;
}) {
  const constraint = text(getIn(doc, ["kind"])) === "ComplianceConstraint";
  return (
    <PolicyFormProvider value={{ doc, replace: onChange, errorAt, inventory, disabled }}>
      <form aria-label="Policy form" className="space-y-4" onSubmit={(e) => e.preventDefault()}>
        <Datalists />
        <MetadataSection isNew={isNew} />
        <SubjectSection matched={matched} />
        {constraint ? <ConstraintSection /> : <RulesSection />}
      </form>
    </PolicyFormProvider>
  );
}
