import { type ChildProcess, spawn } from "node:child_process";

const BIN = new URL("../bin/stinger", import.meta.url).pathname;

export interface BenchDevnet {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startBenchDevnet(dataDir: string, args: string[] = []): Promise<BenchDevnet> {
  const proc = spawn(
    process.execPath,
    [
      BIN,
      "devnet",
      "--data-dir",
      dataDir,
      "--api-port",
      "0",
      "--metrics-port",
      "0",
      "--log-level",
      "warn",
      ...args,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d) => {
      out += d.toString();
      const m = /ready: API (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once("exit", (code) => reject(new Error(`devnet exited with ${code}`)));
  });
  return {
    url,
    proc,
    stop: () =>
      new Promise((resolve) => {
        proc.once("exit", () => resolve());
        proc.kill("SIGTERM");
      }),
  };
}
