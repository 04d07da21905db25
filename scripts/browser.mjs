// The Chromium that e2e tests and browser benchmarks drive. In order:
// CHROMIUM_PATH, the system's /usr/bin/chromium (Debian's package), else the
// Chromium that ships inside the @sparticuz/chromium npm package (unpacked into
// the temp folder on first use), so `npm install && npm test` needs nothing else.
import { existsSync } from "node:fs";

const SYSTEM_CHROMIUM = "/usr/bin/chromium";
// Without the background-networking flags Chromium keeps dialling Google's hosts,
// which this kind of machine refuses.
const QUIET = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** @returns {Promise<{ executablePath: string, args: string[], source: string }>} */
export async function testBrowser() {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return { executablePath: configured, args: [...QUIET, "--disable-gpu"], source: `CHROMIUM_PATH (${configured})` };
  if (existsSync(SYSTEM_CHROMIUM))
    return { executablePath: SYSTEM_CHROMIUM, args: [...QUIET, "--disable-gpu"], source: `system Chromium (${SYSTEM_CHROMIUM})` };
  const { default: packaged } = await import("@sparticuz/chromium");
  // Its own argument list (--single-process, --disable-web-security, …) suits a
  // serverless function, not a test of a web app: take only software WebGL from it. The page itself is
  // composited in software: compositing through SwiftShader's GL took about a third of the e2e run's CPU.
  return {
    executablePath: await packaged.executablePath(),
    args: [...QUIET, "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-gpu-compositing"],
    source: "Chromium from the @sparticuz/chromium npm package",
  };
}
