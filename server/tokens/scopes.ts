import "server-only";
// What a machine token may do beyond its role: the scope an endpoint asks for
// and, for a token bound to one cluster, that the call is about that cluster.
// People (the console's session) are governed by their roles alone.
import type { Actor } from "@/server/context";
import { Forbidden } from "@/server/errors";
import { TOKEN_SCOPE_LABELS, type TokenScope } from "@/lib/vocabulary";

export function requireScope(actor: Actor, scope: TokenScope): void {
  if (actor.type !== "token" || actor.scopes.includes(scope)) return;
  throw new Forbidden(`This token lacks the "${scope}" scope (${TOKEN_SCOPE_LABELS[scope]}); an admin can create one that has it.`);
}

/** For endpoints that act on one cluster: the scope, and a cluster-bound token only for its own cluster. */
export function requireClusterScope(actor: Actor, scope: TokenScope, cluster: { id: string | null; name: string }): void {
  requireScope(actor, scope);
  if (actor.type === "token" && actor.clusterId !== null && actor.clusterId !== cluster.id) {
    throw new Forbidden(`This token speaks for another cluster, not "${cluster.name}".`);
  }
}
