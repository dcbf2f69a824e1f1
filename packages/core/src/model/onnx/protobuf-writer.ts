// A minimal protocol-buffers encoder: just the wire types the ONNX messages need (varint,
// fixed32 floats, length-delimited bytes / strings / sub-messages, packed repeated
// scalars). A message is built as a list of fields, sized once, then written into a single
// buffer, so an 80 MB weight blob nested three messages deep is copied exactly once.

/** Protobuf wire types used here (spec: developers.google.com/protocol-buffers/docs/encoding). */
const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** Largest field number protobuf allows (2^29 − 1). */
const MAX_FIELD_NUMBER = 0x1fffffff;

type Field =
  | { tag: number; kind: 'varint'; value: number | bigint }
  | { tag: number; kind: 'fixed32-float'; value: number }
  | { tag: number; kind: 'bytes'; value: Uint8Array }
  | { tag: number; kind: 'message'; value: ProtoMessage }
  | { tag: number; kind: 'packed-floats'; value: ArrayLike<number> }
  | { tag: number; kind: 'packed-varints'; value: ReadonlyArray<number | bigint> };

const utf8 = new TextEncoder();

/** Returns a varint value as an unsigned 64-bit bigint, or the number itself when it is a non-negative safe integer. */
function normaliseVarint(value: number | bigint, what: string): number | bigint {
  if (typeof value === 'bigint') {
    if (value < -(1n << 63n) || value >= 1n << 64n) {
      throw new RangeError(`${what} is ${value}, outside the 64-bit range a protobuf varint holds.`);
    }
    // Negative int64/int32 values travel as their 64-bit two's complement (always 10 bytes).
    return value < 0n ? BigInt.asUintN(64, value) : value;
  }
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`${what} is ${value}; a varint needs an integer (use a bigint beyond ±2^53).`);
  }
  return value < 0 ? BigInt.asUintN(64, BigInt(value)) : value;
}

/** Returns how many bytes the varint encoding of a normalised value takes (1–10). */
function varintSize(value: number | bigint): number {
  let size = 1;
  if (typeof value === 'bigint') {
    while (value >= 0x80n) {
      value >>= 7n;
      size++;
    }
    return size;
  }
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** Writes the varint encoding of a normalised value at `offset`; returns the offset after it. */
function writeVarint(out: Uint8Array, offset: number, value: number | bigint): number {
  if (typeof value === 'bigint') {
    while (value >= 0x80n) {
      out[offset++] = Number(value & 0x7fn) | 0x80;
      value >>= 7n;
    }
    out[offset++] = Number(value);
    return offset;
  }
  // Arithmetic rather than bit shifts: JS shifts truncate to 32 bits.
  while (value >= 0x80) {
    out[offset++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[offset++] = value;
  return offset;
}

/** Returns the varint encoding of `value` (unsigned; negative numbers as 64-bit two's complement). */
export function encodeVarint(value: number | bigint): Uint8Array {
  const v = normaliseVarint(value, 'Varint value');
  const out = new Uint8Array(varintSize(v));
  writeVarint(out, 0, v);
  return out;
}

/** Returns the tag (field number × 8 + wire type) after checking the field number. */
function makeTag(field: number, wireType: number): number {
  if (!Number.isInteger(field) || field < 1 || field > MAX_FIELD_NUMBER || (field >= 19000 && field <= 19999)) {
    throw new RangeError(`Protobuf field number ${field} is invalid: use an integer in 1..2^29−1 outside 19000–19999.`);
  }
  return field * 8 + wireType;
}

/** Returns the payload size of a length-delimited or fixed field (without tag and length prefix). */
function payloadSize(f: Field): number {
  switch (f.kind) {
    case 'varint':
      return varintSize(f.value);
    case 'fixed32-float':
      return 4;
    case 'bytes':
      return f.value.length;
    case 'message':
      return f.value.byteLength();
    case 'packed-floats':
      return 4 * f.value.length;
    case 'packed-varints': {
      let n = 0;
      for (const v of f.value) n += varintSize(v);
      return n;
    }
  }
}

/**
 * A protobuf message under construction: append fields in the order to write them, then
 * `encode()`. Field methods return `this` so messages read as one chained expression.
 */
export class ProtoMessage {
  private readonly fields: Field[] = [];
  private cachedSize = -1;

  /** Appends a varint field (int32, int64, uint64, enum, bool); negative values become 10-byte two's complement. */
  varint(field: number, value: number | bigint | boolean): this {
    const v = normaliseVarint(typeof value === 'boolean' ? Number(value) : value, `Field ${field}`);
    return this.push({ tag: makeTag(field, WIRE_VARINT), kind: 'varint', value: v });
  }

  /** Appends a `float` field: 4 bytes, little-endian IEEE-754 single precision. */
  float(field: number, value: number): this {
    if (typeof value !== 'number') throw new TypeError(`Field ${field}: a float field needs a number, got ${typeof value}.`);
    return this.push({ tag: makeTag(field, WIRE_FIXED32), kind: 'fixed32-float', value });
  }

  /** Appends a `bytes` field (the array is referenced, not copied, until `encode()`). */
  bytes(field: number, value: Uint8Array): this {
    if (!(value instanceof Uint8Array)) throw new TypeError(`Field ${field}: a bytes field needs a Uint8Array.`);
    return this.push({ tag: makeTag(field, WIRE_LENGTH_DELIMITED), kind: 'bytes', value });
  }

  /** Appends a `string` field, UTF-8 encoded. */
  string(field: number, value: string): this {
    if (typeof value !== 'string') throw new TypeError(`Field ${field}: a string field needs a string, got ${typeof value}.`);
    return this.bytes(field, utf8.encode(value));
  }

  /** Appends an embedded message field. */
  message(field: number, value: ProtoMessage): this {
    if (!(value instanceof ProtoMessage)) throw new TypeError(`Field ${field}: an embedded message needs a ProtoMessage.`);
    if (value === this) throw new RangeError(`Field ${field}: a message cannot contain itself.`);
    return this.push({ tag: makeTag(field, WIRE_LENGTH_DELIMITED), kind: 'message', value });
  }

  /** Appends a packed `repeated float` field: one length prefix, then 4 little-endian bytes per value. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    return this.push({ tag: makeTag(field, WIRE_LENGTH_DELIMITED), kind: 'packed-floats', value: values });
  }

  /** Appends a packed `repeated` varint field (int32/int64): one length prefix, then the varints back to back. */
  packedVarints(field: number, values: ReadonlyArray<number | bigint>): this {
    const normalised = values.map((v, i) => normaliseVarint(v, `Field ${field}[${i}]`));
    return this.push({ tag: makeTag(field, WIRE_LENGTH_DELIMITED), kind: 'packed-varints', value: normalised });
  }

  /** Returns the encoded size in bytes (cached; adding a field after this is an error). */
  byteLength(): number {
    if (this.cachedSize >= 0) return this.cachedSize;
    let size = 0;
    for (const f of this.fields) {
      const payload = payloadSize(f);
      size += varintSize(f.tag) + payload;
      if (f.kind !== 'varint' && f.kind !== 'fixed32-float') size += varintSize(payload);
    }
    this.cachedSize = size;
    return size;
  }

  /** Returns the message's wire encoding as one new Uint8Array. */
  encode(): Uint8Array {
    const out = new Uint8Array(this.byteLength());
    const end = this.writeInto(out, new DataView(out.buffer, out.byteOffset, out.byteLength), 0);
    if (end !== out.length) throw new Error(`Protobuf writer bug: wrote ${end} bytes, sized ${out.length}.`);
    return out;
  }

  /** Writes the fields at `offset`; returns the offset after them. */
  private writeInto(out: Uint8Array, view: DataView, offset: number): number {
    for (const f of this.fields) {
      offset = writeVarint(out, offset, f.tag);
      switch (f.kind) {
        case 'varint':
          offset = writeVarint(out, offset, f.value);
          break;
        case 'fixed32-float':
          view.setFloat32(offset, f.value, true);
          offset += 4;
          break;
        case 'bytes':
          offset = writeVarint(out, offset, f.value.length);
          out.set(f.value, offset);
          offset += f.value.length;
          break;
        case 'message':
          offset = writeVarint(out, offset, f.value.byteLength());
          offset = f.value.writeInto(out, view, offset);
          break;
        case 'packed-floats':
          offset = writeVarint(out, offset, 4 * f.value.length);
          for (let i = 0; i < f.value.length; i++, offset += 4) view.setFloat32(offset, f.value[i], true);
          break;
        case 'packed-varints':
          offset = writeVarint(out, offset, payloadSize(f));
          for (const v of f.value) offset = writeVarint(out, offset, v);
          break;
      }
    }
    return offset;
  }

  private push(field: Field): this {
    if (this.cachedSize >= 0) {
      throw new Error('This ProtoMessage was already sized or encoded; build a new message instead of appending to it.');
    }
    this.fields.push(field);
    return this;
  }
}
