// The genesis snapshot of a private network, as Hornet's `tool snap-gen` makes it: a full snapshot at
// milestone 0 whose only solid entry point is the null message ID, with the whole supply on one
// address except what goes to the treasury.
import { networkIdFromName } from "../../protocol/message.ts";
import {
  ED25519_ADDRESS_LENGTH,
  MESSAGE_ID_LENGTH,
  MILESTONE_ID_LENGTH,
  OUTPUT_ID_LENGTH,
  TOTAL_SUPPLY,
} from "../../protocol/params.ts";
import { StingerError } from "../../util/errors.ts";
import { type SnapshotHeader, type SnapshotOutput, writeSnapshotFile } from "./snapshot-file.ts";

export interface GenesisSnapshotOptions {
  path: string;
  /** The network name (e.g. "private_tangle@1"); the network ID is derived from it. */
  networkName: string;
  /** 32-byte Ed25519 address that receives the supply minus the treasury. */
  mintAddress: Uint8Array;
  /** Tokens in the treasury output (default 0); must leave something to mint. */
  treasury?: bigint;
  /** Unix seconds (default: now). */
  timestamp?: number;
  /** Replace an existing file (default false: SNAPSHOT_EXISTS). */
  overwrite?: boolean;
}

export interface GenesisSnapshot {
  path: string;
  header: SnapshotHeader;
  output: SnapshotOutput;
  bytes: number;
}

function invalid(message: string): StingerError {
  return new StingerError("SNAPSHOT_INVALID_INPUT", `genesis snapshot: ${message}`);
}

/** The header and single output of a genesis snapshot, without writing anything. */
export function genesisSnapshotContents(opts: Omit<GenesisSnapshotOptions, "path" | "overwrite">): {
  header: SnapshotHeader;
  output: SnapshotOutput;
} {
  const treasury = opts.treasury ?? 0n;
  if (typeof opts.networkName !== "string" || opts.networkName === "") {
    throw invalid("the network name is empty");
  }
  if (!(opts.mintAddress instanceof Uint8Array) || opts.mintAddress.length !== ED25519_ADDRESS_LENGTH) {
    throw invalid(`the mint address must be ${ED25519_ADDRESS_LENGTH} bytes`);
  }
  if (typeof treasury !== "bigint" || treasury < 0n || treasury >= TOTAL_SUPPLY) {
    throw invalid(`the treasury must be from 0 to ${TOTAL_SUPPLY - 1n} (the supply is ${TOTAL_SUPPLY})`);
  }
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    header: {
      type: "full",
      timestamp,
      networkId: networkIdFromName(opts.networkName),
      sepMilestoneIndex: 0,
      ledgerMilestoneIndex: 0,
      treasury: { milestoneId: new Uint8Array(MILESTONE_ID_LENGTH), amount: treasury },
    },
    output: {
      messageId: new Uint8Array(MESSAGE_ID_LENGTH),
      outputId: new Uint8Array(OUTPUT_ID_LENGTH),
      outputType: 0,
      address: Uint8Array.from(opts.mintAddress),
      amount: TOTAL_SUPPLY - treasury,
    },
  };
}

/** Writes a genesis snapshot file (atomically; by default refusing an existing file). */
export async function writeGenesisSnapshot(opts: GenesisSnapshotOptions): Promise<GenesisSnapshot> {
  const { header, output } = genesisSnapshotContents(opts);
  const written = await writeSnapshotFile(
    opts.path,
    header,
    { solidEntryPoints: [new Uint8Array(MESSAGE_ID_LENGTH)], outputs: [output], milestoneDiffs: [] },
    { overwrite: opts.overwrite ?? false },
  );
  return { path: opts.path, header, output, bytes: written.bytes };
}
