import { Badge, Card } from "@/components/ui/primitives";

interface Setting {
  enabled: boolean;
  excludeNamespaces: readonly string[];
}

function SettingView({ label, setting, testId }: { label: string; setting: Setting; testId: string }) {
  return (
    <div data-testid={testId} className="rounded-lg border border-slate-200 p-3">
      <div className="text-xs font-medium text-slate-500">{label}</div>
      <p className="mt-1">
        <Badge tone={setting.enabled ? "blue" : "amber"}>{setting.enabled ? "on" : "off"}</Badge>{" "}
        {!setting.enabled
          ? "what no policy decides is allowed"
          : setting.excludeNamespaces.length === 0
            ? "every namespace"
            : `every namespace except ${setting.excludeNamespaces.join(", ")}`}
      </p>
    </div>
  );
}

/** The platform default a change request proposes, beside the version in force when it was proposed. */
export function PlatformDefaultChange({
  change,
}: {
  change: { fromVersion: number; from: Setting; to: Setting; loosens: boolean; summary: string[] };
}) {
  return (
    <Card
      title={
        <span>
          Platform default <span className="font-normal text-slate-500">· version {change.fromVersion} → proposed</span>
        </span>
      }
    >
      <div data-testid="platform-default-change" className="space-y-3 text-sm">
        <p>
          {change.loosens ? <Badge tone="red">loosens</Badge> : <Badge tone="green">tightens or keeps</Badge>} This change{" "}
          {change.summary.join(", ")}. It takes effect when it is released: the release compiles it into every cluster&apos;s desired state
          as the last baseline object.
          {change.loosens
            ? " It leaves traffic no policy decides allowed where it was denied, so the loosening rule asks one approver of every committee function."
            : ""}
        </p>
        <div className="grid gap-3 md:grid-cols-2">
          <SettingView label={`In force (version ${change.fromVersion})`} setting={change.from} testId="platform-default-from" />
          <SettingView label="Proposed" setting={change.to} testId="platform-default-to" />
        </div>
      </div>
    </Card>
  );
}
