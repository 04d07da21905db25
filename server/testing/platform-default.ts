// Test helper: what of the platform default reaches a cluster's desired state.
import type { Database } from "@/db/client";
import { desiredManifests } from "@/server/clusters/observed";
import { demoActor, DEMO_PEOPLE } from "./actors";

/** The compiler's source annotation on the objects that render the platform default. */
export const PLATFORM_DEFAULT_SOURCE = "PlatformDefault/secure-by-default";

/** The objects in a cluster's desired state that carry the platform default (named by the compiler's source annotation). */
export async function platformDefaultObjects(db: Database, cluster: string) {
  const ctx = { db, actor: await demoActor(db, DEMO_PEOPLE.admin), requestId: "platform-default-test" };
  const { objects } = await desiredManifests({ ctx, input: { name: cluster } });
  return objects.filter((o) => JSON.stringify(o.metadata).includes(PLATFORM_DEFAULT_SOURCE));
}
