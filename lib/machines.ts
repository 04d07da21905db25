// Machine vocabulary shared by the database schema, the services and the console (issue 18).

/** How a cluster's admission webhook answers: refuse, allow with warnings, or allow without looking. */
export const ADMISSION_MODES = ["enforce", "warn", "off"] as const;
export type AdmissionMode = (typeof ADMISSION_MODES)[number];
export const ADMISSION_MODE_LABELS: Record<AdmissionMode, string> = {
  enforce: "enforce — refuse objects that break the rules",
  warn: "warn — allow them, with the findings as warnings",
  off: "off — allow everything without looking",
};

/** A serving certificate this close to its expiry is flagged on the cluster page (and rotated by the next rotation). */
export const CERT_WARNING_DAYS = 30;
