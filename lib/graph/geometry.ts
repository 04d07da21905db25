// Node and label sizes: the stylesheet draws with them and the server's layout
// reserves room with them, so the two agree. No imports: the page bundle uses it.

/** Shape sizes and label font sizes of leaf nodes, by class (the stylesheet draws them with these). */
export const NODE_BOXES = {
  node: { width: 22, height: 22, fontSize: 30 },
  workload: { width: 40, height: 26, fontSize: 30 },
  service: { width: 16, height: 16, fontSize: 20 },
  external: { width: 30, height: 30, fontSize: 30 },
  world: { width: 26, height: 26, fontSize: 30 },
  // Islands are what the all-clusters view is made of: their labels read at the zoom that fits it.
  island: { width: 200, height: 66, fontSize: 24 },
  tenantIsland: { width: 220, height: 74, fontSize: 24 },
  clusterIsland: { width: 250, height: 86, fontSize: 24 },
} as const;

/** Compound padding and title font size, by group kind. */
export const GROUP_BOXES = {
  namespace: { padding: 10, fontSize: 26 },
  tenant: { padding: 12, fontSize: 32 },
  cluster: { padding: 28, fontSize: 28 },
  externals: { padding: 12, fontSize: 18 },
} as const;

export const LABEL_MAX_WIDTH = 240;
export const LABEL_MARGIN = 4;
