// Hornet's gossip frames (protocol /iota-gossip/<networkId>/1.0.0): u8 type, u16 LE body length, body.
import { MAX_MESSAGE_LENGTH } from "../../protocol/params.ts";

export const FRAME_MILESTONE_REQUEST = 1;
export const FRAME_MESSAGE = 2;
export const FRAME_MESSAGE_REQUEST = 3;
export const FRAME_HEARTBEAT = 4;

const HEADER = 3;

export interface Heartbeat {
  solidMilestoneIndex: number;
  prunedMilestoneIndex: number;
  latestMilestoneIndex: number;
  connectedPeers: number;
  syncedPeers: number;
}

export type Frame =
  | { type: typeof FRAME_MILESTONE_REQUEST; index: number }
  | { type: typeof FRAME_MESSAGE; bytes: Uint8Array }
  | { type: typeof FRAME_MESSAGE_REQUEST; id: Uint8Array }
  | { type: typeof FRAME_HEARTBEAT; heartbeat: Heartbeat };

/** A peer broke the framing rules: the stream can no longer be trusted and is closed. */
export class FrameError extends Error {}

function frame(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + body.length);
  out[0] = type;
  out[1] = body.length & 0xff;
  out[2] = body.length >>> 8;
  out.set(body, HEADER);
  return out;
}

export function encodeMessage(bytes: Uint8Array): Uint8Array {
  return frame(FRAME_MESSAGE, bytes);
}

export function encodeMessageRequest(id: Uint8Array): Uint8Array {
  return frame(FRAME_MESSAGE_REQUEST, id);
}

/** index 0 asks for the peer's latest milestone. */
export function encodeMilestoneRequest(index: number): Uint8Array {
  const body = new Uint8Array(4);
  new DataView(body.buffer).setUint32(0, index, true);
  return frame(FRAME_MILESTONE_REQUEST, body);
}

export function encodeHeartbeat(h: Heartbeat): Uint8Array {
  const body = new Uint8Array(14);
  const v = new DataView(body.buffer);
  v.setUint32(0, h.solidMilestoneIndex, true);
  v.setUint32(4, h.prunedMilestoneIndex, true);
  v.setUint32(8, h.latestMilestoneIndex, true);
  body[12] = Math.min(255, h.connectedPeers);
  body[13] = Math.min(255, h.syncedPeers);
  return frame(FRAME_HEARTBEAT, body);
}

function decodeBody(type: number, body: Uint8Array): Frame {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (type) {
    case FRAME_MILESTONE_REQUEST:
      if (body.length !== 4)
        throw new FrameError(`milestone request body must be 4 bytes, got ${body.length}`);
      return { type, index: view.getUint32(0, true) };
    case FRAME_MESSAGE:
      if (body.length === 0 || body.length > MAX_MESSAGE_LENGTH)
        throw new FrameError(`message frame of ${body.length} bytes`);
      return { type, bytes: body };
    case FRAME_MESSAGE_REQUEST:
      if (body.length !== 32)
        throw new FrameError(`message request body must be 32 bytes, got ${body.length}`);
      return { type, id: body };
    case FRAME_HEARTBEAT:
      if (body.length !== 14) throw new FrameError(`heartbeat body must be 14 bytes, got ${body.length}`);
      return {
        type,
        heartbeat: {
          solidMilestoneIndex: view.getUint32(0, true),
          prunedMilestoneIndex: view.getUint32(4, true),
          latestMilestoneIndex: view.getUint32(8, true),
          connectedPeers: body[12]!,
          syncedPeers: body[13]!,
        },
      };
    default:
      throw new FrameError(`unknown frame type ${type}`);
  }
}

/**
 * Reassembles frames from arbitrarily chunked stream bytes. Holds at most one frame's worth of
 * bytes (a header announcing more than the largest legal frame is an error at once), so a peer
 * cannot make it buffer without bound.
 */
export class FrameReader {
  private buffer: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): Frame[] {
    this.buffer = this.buffer.length === 0 ? chunk : concat(this.buffer, chunk);
    const frames: Frame[] = [];
    let offset = 0;
    while (this.buffer.length > offset) {
      // the type byte alone decides: a stream that starts a frame of unknown type is broken for good
      const type = this.buffer[offset]!;
      if (type < FRAME_MILESTONE_REQUEST || type > FRAME_HEARTBEAT)
        throw new FrameError(`unknown frame type ${type}`);
      if (this.buffer.length - offset < HEADER) break;
      const length = this.buffer[offset + 1]! | (this.buffer[offset + 2]! << 8);
      if (type === FRAME_MESSAGE && length > MAX_MESSAGE_LENGTH)
        throw new FrameError(`message frame of ${length} bytes`);
      if (this.buffer.length - offset - HEADER < length) break;
      const body = this.buffer.slice(offset + HEADER, offset + HEADER + length);
      frames.push(decodeBody(type, body));
      offset += HEADER + length;
    }
    this.buffer = offset === 0 ? this.buffer : this.buffer.slice(offset);
    return frames;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
