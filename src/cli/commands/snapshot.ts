import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { writeGenesisSnapshot } from "../../node/snapshot/genesis.ts";
import { openSnapshotFile, type SnapshotReader } from "../../node/snapshot/snapshot-file.ts";
import { decodeAddress, encodeAddress } from "../../protocol/bech32.ts";
import { fromHex, toHex } from "../../protocol/hex.ts";
import { networkIdFromName } from "../../protocol/message.ts";
import { BECH32_HRP_TESTNET, TOTAL_SUPPLY } from "../../protocol/params.ts";
import { StingerError } from "../../util/errors.ts";
import { fail, UsageError } from "../errors.ts";

const HEX_ADDRESS = /^(?:0x)?[0-9a-fA-F]{64}$/;

/** A 32-byte Ed25519 address from 64 hex characters (0x optional) or a bech32 address. */
export function parseMintAddress(value: string): { address: Uint8Array; hrp?: string } {
  if (HEX_ADDRESS.test(value)) return { address: fromHex(value.replace(/^0x/, "")) };
  if (value.includes("1")) {
    try {
      const { hrp, address } = decodeAddress(value);
      return { address: address.address, hrp };
    } catch (err) {
      throw new UsageError(
        `--mint-address: not a bech32 Ed25519 address (${(err as Error).message}): ${value}`,
      );
    }
  }
  throw new UsageError(
    `--mint-address: must be an Ed25519 address as 64 hex characters or in bech32, got "${value.slice(0, 80)}"`,
  );
}

function parseTreasury(value: string): bigint {
  if (!/^\d+$/.test(value))
    throw new UsageError(`--treasury: must be a whole number of tokens, got "${value}"`);
  const amount = BigInt(value);
  if (amount >= TOTAL_SUPPLY) {
    throw new UsageError(
      `--treasury: ${amount} leaves nothing for the mint address (the total supply is ${TOTAL_SUPPLY})`,
    );
  }
  return amount;
}

interface GenesisOptions {
  networkId: string;
  mintAddress: string;
  treasury?: bigint;
  out: string;
  bech32Hrp?: string;
}

async function genesis(opts: GenesisOptions): Promise<void> {
  if (opts.networkId.trim() === "") throw new UsageError("--network-id: the network name is empty");
  const mint = parseMintAddress(opts.mintAddress);
  const treasury = opts.treasury ?? 0n;
  const hrp = opts.bech32Hrp ?? mint.hrp ?? BECH32_HRP_TESTNET;
  let bech32: string;
  try {
    bech32 = encodeAddress(hrp, mint.address);
  } catch (err) {
    throw new UsageError(`--bech32-hrp: "${hrp}" cannot start a bech32 address (${(err as Error).message})`);
  }
  const out = resolve(opts.out);
  if (existsSync(out)) throw new UsageError(`--out: ${opts.out} already exists; not replacing it`);
  mkdirSync(dirname(out), { recursive: true });
  let written: Awaited<ReturnType<typeof writeGenesisSnapshot>>;
  try {
    written = await writeGenesisSnapshot({
      path: out,
      networkName: opts.networkId,
      mintAddress: mint.address,
      treasury,
    });
  } catch (err) {
    if (err instanceof StingerError && err.code === "SNAPSHOT_EXISTS") {
      throw new UsageError(`--out: ${opts.out} already exists; not replacing it`);
    }
    throw err;
  }
  process.stdout.write(
    `wrote genesis snapshot ${opts.out}: network "${opts.networkId}" (ID ${networkIdFromName(opts.networkId)}), ` +
      `mint address ${toHex(mint.address)} (${bech32}) holds ${written.output.amount}, ` +
      `treasury ${treasury}, supply ${TOTAL_SUPPLY}\n`,
  );
}

/** Reads a whole snapshot file, checking every entry as it goes, and sums up what it holds. */
async function info(file: string, opts: { json?: boolean }): Promise<void> {
  let reader: SnapshotReader;
  try {
    reader = await openSnapshotFile(file);
  } catch (err) {
    throw badFile(file, err);
  }
  const sum = {
    file,
    type: reader.header.type,
    timestamp: new Date(reader.header.timestamp * 1000).toISOString(),
    networkId: reader.header.networkId.toString(),
    sepMilestoneIndex: reader.header.sepMilestoneIndex,
    ledgerMilestoneIndex: reader.header.ledgerMilestoneIndex,
    treasury: reader.header.treasury
      ? {
          milestoneId: toHex(reader.header.treasury.milestoneId),
          amount: reader.header.treasury.amount.toString(),
        }
      : null,
    solidEntryPoints: 0,
    outputs: 0,
    outputsAmount: "0",
    addresses: 0,
    milestoneDiffs: 0,
    milestones: null as { first: number; last: number } | null,
    createdInDiffs: 0,
    consumedInDiffs: 0,
  };
  try {
    let amount = 0n;
    const addresses = new Set<string>();
    for await (const _ of reader.solidEntryPoints()) sum.solidEntryPoints++;
    for await (const o of reader.outputs()) {
      sum.outputs++;
      amount += o.amount;
      addresses.add(toHex(o.address));
    }
    for await (const d of reader.milestoneDiffs()) {
      sum.milestoneDiffs++;
      const i = d.milestone.index;
      sum.milestones = sum.milestones
        ? { first: Math.min(sum.milestones.first, i), last: Math.max(sum.milestones.last, i) }
        : { first: i, last: i };
      sum.createdInDiffs += d.created.length;
      sum.consumedInDiffs += d.consumed.length;
    }
    await reader.finish();
    sum.outputsAmount = amount.toString();
    sum.addresses = addresses.size;
  } catch (err) {
    throw badFile(file, err);
  } finally {
    await reader.close();
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(sum)}\n`);
    return;
  }
  const lines = [
    `${sum.file}: ${sum.type} snapshot of network ${sum.networkId}, written ${sum.timestamp}`,
    `  ledger at milestone ${sum.ledgerMilestoneIndex}, solid entry points at milestone ${sum.sepMilestoneIndex} (${sum.solidEntryPoints})`,
    sum.type === "full"
      ? `  ${sum.outputs} unspent outputs on ${sum.addresses} addresses holding ${sum.outputsAmount}; treasury ${sum.treasury?.amount ?? "none"}`
      : "  no ledger outputs (a delta snapshot)",
    `  ${sum.milestoneDiffs} milestone diffs${sum.milestones ? ` (${sum.milestones.first}..${sum.milestones.last}: ${sum.createdInDiffs} created, ${sum.consumedInDiffs} consumed)` : ""}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** A file that is missing or not a valid snapshot is bad input: one line, exit 2. */
function badFile(file: string, err: unknown): UsageError {
  const e = err as NodeJS.ErrnoException;
  if (e.code === "ENOENT") return new UsageError(`${file}: no such file`);
  if (e.code === "EISDIR") return new UsageError(`${file}: is a folder, not a snapshot file`);
  return new UsageError(err instanceof Error ? err.message : String(err));
}

export function registerSnapshot(program: Command): void {
  const snapshot = program.command("snapshot").description("Hornet 1.x snapshot files");
  snapshot
    .command("genesis")
    .description(
      "write the genesis full snapshot of a private network (as Hornet's `tool snap-gen`): milestone 0, " +
        "all tokens on one address except the treasury",
    )
    .requiredOption(
      "--network-id <name>",
      'network name, e.g. "private_tangle@1" (the network ID is its hash)',
    )
    .requiredOption(
      "--mint-address <address>",
      "Ed25519 address that gets the tokens: 64 hex characters or bech32",
    )
    .option("--treasury <amount>", "tokens in the treasury output (default: 0)", parseTreasury)
    .requiredOption("--out <file>", "snapshot file to write (must not exist)")
    .option(
      "--bech32-hrp <hrp>",
      `HRP for printing the address (default: the address's own, else "${BECH32_HRP_TESTNET}")`,
    )
    .action(async (opts: GenesisOptions) => {
      try {
        await genesis(opts);
      } catch (err) {
        fail(err);
      }
    });
  snapshot
    .command("info")
    .description("read and check a snapshot file, and print what it holds")
    .argument("<file>", "a Hornet 1.x full or delta snapshot")
    .option("--json", "print one JSON object")
    .action(async (file: string, opts: { json?: boolean }) => {
      try {
        await info(file, opts);
      } catch (err) {
        fail(err);
      }
    });
}
