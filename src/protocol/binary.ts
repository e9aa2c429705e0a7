// Little-endian byte reader/writer used by the codec. Internal to src/protocol.
import { ProtocolError, type ProtocolErrorCode } from "./errors.ts";

const U64_MAX = (1n << 64n) - 1n;

export class ByteReader {
  private pos = 0;
  private readonly view: DataView;

  /**
   * `overrun` is the error raised when a read passes the end: PROTO_TRUNCATED for a whole
   * message, PROTO_PAYLOAD_LENGTH inside a payload whose declared length is too short.
   */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly overrun: ProtocolErrorCode = "PROTO_TRUNCATED",
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number, field: string): void {
    if (this.bytes.length - this.pos < n) {
      const message =
        this.overrun === "PROTO_TRUNCATED"
          ? `bytes end inside ${field}`
          : `${field} runs past the declared payload length`;
      throw new ProtocolError(this.overrun, message, { field });
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.pos++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  peekU32(field: string): number {
    this.need(4, field);
    return this.view.getUint32(this.pos, true);
  }

  /** A copy, so decoded objects never alias a network buffer that may be reused. */
  bytesCopy(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A reader over the next `n` bytes; overruns inside it raise `overrun`. */
  sub(n: number, field: string, overrun: ProtocolErrorCode): ByteReader {
    this.need(n, field);
    const r = new ByteReader(this.bytes.subarray(this.pos, this.pos + n), overrun);
    this.pos += n;
    return r;
  }
}

function badField(field: string, what: string): ProtocolError {
  return new ProtocolError("PROTO_INVALID_FIELD", `${field}: ${what}`, { field });
}

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private uint(v: number, max: number, field: string): void {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) {
      throw badField(field, `must be an integer in 0..${max}`);
    }
  }

  u8(v: number, field: string): void {
    this.uint(v, 0xff, field);
    this.reserve(1);
    this.buf[this.len++] = v;
  }

  u16(v: number, field: string): void {
    this.uint(v, 0xffff, field);
    this.reserve(2);
    this.view.setUint16(this.len, v, true);
    this.len += 2;
  }

  u32(v: number, field: string): void {
    this.uint(v, 0xffffffff, field);
    this.reserve(4);
    this.view.setUint32(this.len, v, true);
    this.len += 4;
  }

  u64(v: bigint, field: string): void {
    if (typeof v !== "bigint" || v < 0n || v > U64_MAX) throw badField(field, "must be a u64 bigint");
    this.reserve(8);
    this.view.setBigUint64(this.len, v, true);
    this.len += 8;
  }

  /** Writes `b`, which must be a Uint8Array of exactly `expectedLength` bytes when given. */
  bytes(b: Uint8Array, field: string, expectedLength?: number): void {
    if (!(b instanceof Uint8Array)) throw badField(field, "must be bytes");
    if (expectedLength !== undefined && b.length !== expectedLength) {
      throw badField(field, `must be ${expectedLength} bytes, got ${b.length}`);
    }
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Reserves a u32 length slot; pass the returned position to `patchLength`. */
  lengthSlot(): number {
    this.reserve(4);
    const at = this.len;
    this.len += 4;
    return at;
  }

  /** Fills the slot with the number of bytes written after it. */
  patchLength(at: number): void {
    this.view.setUint32(at, this.len - at - 4, true);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
