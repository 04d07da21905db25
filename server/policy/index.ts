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
export {
  Evaluator,
  createEvaluator,
  type EvaluatorOptions,
  type Identity,
  type IdentityKind,
  type PodIdentity,
  type NodeIdentity,
  type ExternalIdentity,
  type Decision,
  type DirectionDecision,
  type NearestAllow,
  type PodEntry,
} from "./eval/evaluator";
export { attachedRules, type CompiledRule, type SubjectIndex, type PeerMatcher, type PortMatcher } from "./eval/evaluator";
export { compileSelector, matchesSelector, formatSelector, dnsMatches, type LabelPredicate } from "./eval/selectors";
export {
  formatEffect,
  formatDecisionPath,
  formatDirectionPath,
  formatExplanation,
  rationaleJson,
  type ExplainSubject,
} from "./eval/explain";
export {
  computeReachability,
  streamReachability,
  reachabilityToDot,
  type ReachabilityGraph,
  type ReachabilityNode,
  type ReachabilityEdge,
  type ReachabilityOptions,
  type ReachabilityGroupBy,
  type ReachabilityStream,
} from "./eval/reachability";

export { describeRule, formatPeer, formatPortMatch, formatPortProtocol, formatPorts, ruleLabel } from "./util/text";

// Flows
export { parseFlowLine, parseEndpoint, formatEndpoint, simulateLines, type FlowLineResult, type SimulateRecord } from "./flows";

// Address utilities
export { parseIp, parseCidr, isIp, cidrContainsIp, cidrContainsCidr, type ParsedIp, type ParsedCidr } from "./util/ip";

// Policyplane documents: reader, templates, lowering to the IR, compiler, lint
export {
  readDocumentSources,
  inMemoryDocuments,
  type DocumentSource,
  type LocatedDocument,
  type DocumentReadResult,
} from "./documents/read";
export { readDocumentPaths, builtinTemplatesDir } from "./documents/fs";
export { instantiateTemplate, parseParameterValue, type ParameterValue, type InstantiateResult } from "./documents/template";
export {
  lowerDocuments,
  type TargetCluster,
  type GatewayRef,
  type EgressRoute,
  type LowerResult,
  type LowerOptions,
} from "./documents/lower";
export {
  policyplaneDocument,
  anyDocument,
  templateDocument,
  type PolicyplaneDocument,
  type AnyDocument,
  type TemplateDocument,
  type PolicyDocument,
  type ComplianceConstraintDocument,
  type ExceptionDocument,
} from "./documents/schema";
export {
  compileDocuments,
  compileLowered,
  validateObjects,
  toYaml,
  COMPILE_TARGETS,
  type CompileTarget,
  type CompileOptions,
  type CompileResult,
  type CompiledObject,
  type K8sObject,
} from "./compile/compile";
export { lint, formatFinding, type Finding, type FindingId, type FindingSeverity, type LabelTaxonomy, type LintInput } from "./lint/lint";
