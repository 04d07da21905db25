"use client";

// What a rule (or a constraint) matches: its peers, each of one kind, and its ports.
import { Button, Input, Select } from "@/components/ui/primitives";
import { ENTITIES, PROTOCOLS } from "@/lib/vocabulary";
import {
  PEER_KINDS,
  PEER_KIND_LABEL,
  newPeer,
  newPort,
  parsePort,
  peerKind,
  setIn,
  type Json,
  type Path,
  type PeerKind,
} from "../form-model";
import { ErrorAt, ErrorText, ListInput, useField } from "./field";
import { WorkloadSelectorEditor } from "./selectors";

const PEER_FIELDS = ["service", "dns", "entity", "cidr"] as const;

function PeerEditor({ path, label }: { path: Path; label: string }) {
  const peer = useField(path);
  const service = useField([...path, "service"]);
  const dns = useField([...path, "dns"]);
  const entity = useField([...path, "entity"]);
  const cidr = useField([...path, "cidr"]);
  const except = useField([...path, "except"]);
  const kind = peerKind(peer.value);
  return (
    <div className="rounded-md border border-slate-200 bg-slate-50/60 p-2" data-testid="peer">
      <div className="mb-1.5 flex items-center gap-2">
        <Select
          aria-label={`${label} kind`}
          value={kind ?? ""}
          disabled={peer.disabled}
          className="w-36 text-xs"
          onChange={(e) => peer.set(newPeer(e.target.value as PeerKind))}
        >
          {kind === null ? <option value="">(unknown)</option> : null}
          {PEER_KINDS.map((k) => (
            <option key={k} value={k}>
              {PEER_KIND_LABEL[k]}
            </option>
          ))}
        </Select>
        {kind === "service" ? (
          <Input
            aria-label={`${label} service`}
            list="dl-services"
            placeholder="namespace/service"
            value={service.text}
            disabled={service.disabled}
            className="font-mono text-xs"
            onChange={(e) => service.set(e.target.value)}
          />
        ) : kind === "dns" ? (
          <Input
            aria-label={`${label} DNS name`}
            placeholder="api.example.com or *.example.com"
            value={dns.text}
            disabled={dns.disabled}
            className="font-mono text-xs"
            onChange={(e) => dns.set(e.target.value)}
          />
        ) : kind === "entity" ? (
          <Select
            aria-label={`${label} entity`}
            value={entity.text}
            disabled={entity.disabled}
            className="text-xs"
            onChange={(e) => entity.set(e.target.value)}
          >
            {ENTITIES.map((x) => (
              <option key={x}>{x}</option>
            ))}
          </Select>
        ) : kind === "cidr" ? (
          <>
            <Input
              aria-label={`${label} CIDR`}
              placeholder="10.0.0.0/8"
              value={cidr.text}
              disabled={cidr.disabled}
              className="font-mono text-xs"
              onChange={(e) => cidr.set(e.target.value)}
            />
            <ListInput path={[...path, "except"]} label={`${label} except`} placeholder="except (comma-separated CIDRs)" />
          </>
        ) : (
          <span className="flex-1" />
        )}
        <Button variant="ghost" type="button" aria-label={`Remove ${label}`} disabled={peer.disabled} onClick={() => peer.set(undefined)}>
          ×
        </Button>
      </div>
      {PEER_FIELDS.map((f) => (
        <ErrorAt key={f} path={[...path, f]} />
      ))}
      <ErrorText message={peer.error} />
      {Array.isArray(except.value) ? except.value.map((_, j) => <ErrorAt key={`x${j}`} path={[...path, "except", j]} />) : null}
      {kind === "workloads" ? <WorkloadSelectorEditor path={[...path, "workloads"]} title={label} /> : null}
    </div>
  );
}

function PortRow({ path, label, onRemove }: { path: Path; label: string; onRemove(): void }) {
  const port = useField([...path, "port"]);
  const endPort = useField([...path, "endPort"]);
  const protocol = useField([...path, "protocol"]);
  return (
    <div>
      <div className="flex items-start gap-1">
        <Input
          aria-label={label}
          placeholder="port or name"
          value={port.text}
          disabled={port.disabled}
          className="w-32 font-mono text-xs"
          onChange={(e) => port.set(parsePort(e.target.value))}
        />
        <span className="pt-1.5 text-slate-400">–</span>
        <Input
          aria-label={`${label} end`}
          placeholder="end port"
          value={endPort.text}
          disabled={endPort.disabled}
          className="w-28 font-mono text-xs"
          onChange={(e) => {
            const v = parsePort(e.target.value);
            endPort.set(v === "" ? undefined : v);
          }}
        />
        <Select
          aria-label={`${label} protocol`}
          value={protocol.text || "TCP"}
          disabled={protocol.disabled}
          className="w-24 text-xs"
          onChange={(e) => protocol.set(e.target.value)}
        >
          {PROTOCOLS.map((x) => (
            <option key={x}>{x}</option>
          ))}
        </Select>
        <Button variant="ghost" type="button" aria-label={`Remove ${label}`} disabled={port.disabled} onClick={onRemove}>
          ×
        </Button>
      </div>
      <ErrorText message={port.error} />
      <ErrorText message={endPort.error} />
      <ErrorText message={protocol.error} />
    </div>
  );
}

/** The peers and ports under `base` (a rule, or a constraint's spec). */
export function PeersAndPorts({ base, label }: { base: Path; label: string }) {
  const peers = useField([...base, "peers"]);
  const ports = useField([...base, "ports"]);
  const peerList = Array.isArray(peers.value) ? peers.value : [];
  const portList = Array.isArray(ports.value) ? (ports.value as Json[]) : null;
  return (
    <div className="space-y-2">
      <div className="text-xs font-semibold uppercase tracking-wide text-slate-500">Peers</div>
      <ErrorText message={peers.error} />
      {peerList.map((_, j) => (
        <PeerEditor key={j} path={[...base, "peers", j]} label={`${label} peer ${j + 1}`} />
      ))}
      <div className="flex flex-wrap gap-1">
        {PEER_KINDS.map((k) => (
          <Button
            key={k}
            variant="secondary"
            type="button"
            className="px-2 py-0.5 text-xs"
            disabled={peers.disabled}
            onClick={() => peers.set([...peerList, newPeer(k)] as Json[])}
          >
            + {PEER_KIND_LABEL[k]}
          </Button>
        ))}
      </div>
      <div className="pt-1 text-xs font-semibold uppercase tracking-wide text-slate-500">Ports</div>
      {portList === null ? <p className="text-xs text-slate-500">Any port.</p> : null}
      {(portList ?? []).map((_, k) => (
        <PortRow
          key={k}
          path={[...base, "ports", k]}
          label={`${label} port ${k + 1}`}
          onRemove={() => ports.set(portList!.length === 1 ? undefined : (setIn(portList, [k], undefined) as Json))}
        />
      ))}
      <Button
        variant="secondary"
        type="button"
        className="px-2 py-0.5 text-xs"
        disabled={ports.disabled}
        onClick={() => ports.set([...(portList ?? []), newPort()])}
      >
        + port
      </Button>
    </div>
  );
}
