export * from "./auth";
export * from "./org";
export * from "./policy";
export * from "./audit";
export * from "./platform";
export * from "./workflow";
export * from "./comments";
export * from "./notifications";
