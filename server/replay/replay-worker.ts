// Entry of the replay reader's worker threads (bundled as replay-worker.js beside the CLI's main.js).
import { parentPort } from "node:worker_threads";
import { serveParseRequests } from "./read";

if (parentPort) serveParseRequests(parentPort);
