/**
 * Public API of the policy engine. Pure: no database, React, Next.js or
 * network (only `readManifestPaths` touches the file system).
 */
export * from "./model";
export { PolicyInputError, FlowError, type Result, type Severity } from "./errors";

// Readers
export { readManifestSources, toSelector, type ManifestSource, type ReadResult, type ReadOptions } from "./read/manifests";
export { readManifestPaths, collectSources } from "./read/fs";
export { parseSource, formatPath, type RawObject, type ParsedSource, type PathSeg } from "./read/yaml";

// Evaluation
export { Evaluator, createEvaluator, describeRule, type EvaluatorOptions, type Identity, type IdentityKind, type Decision, type DirectionDecision, type NearestAllow, type PodEntry } from "./eval/evaluator";
export { compileSelector, matchesSelector, formatSelector, dnsMatches, type LabelPredicate } from "./eval/selectors";
export { formatEffect, formatDecisionPath, formatDirectionPath, formatExplanation, rationaleJson, type ExplainSubject } from "./eval/explain";
export { computeReachability, reachabilityToDot, type ReachabilityGraph, type ReachabilityNode, type ReachabilityEdge, type ReachabilityOptions } from "./eval/reachability";

// Flows
export { parseFlowLine, parseEndpoint, formatEndpoint, simulateLines, type FlowLineResult, type SimulateRecord } from "./flows";

// Address utilities
export { parseIp, parseCidr, isIp, cidrContainsIp, cidrContainsCidr, type ParsedIp, type ParsedCidr } from "./util/ip";
