// Types of bin/agent-process.mjs (a plain ES module the launcher loads before any bundle exists), for the
// tests that check the agent's process and its Kubernetes manifest against it.
export declare const AGENT_NODE_FLAGS: string[];
export declare const AGENT_GLIBC_TUNABLES: string;
export declare const TUNED_ENV: string;
export declare function agentEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export declare const needsAgentProcess: (argv?: string[], env?: NodeJS.ProcessEnv) => boolean;
export declare function agentNodeFlags(argv?: string[], env?: NodeJS.ProcessEnv): string[];
export declare function runAgentProcess(): Promise<boolean>;
