// Validates REST responses against TIP-13's OpenAPI document (test/fixtures/openapi/tip-13-rest-api.yaml,
// vendored unchanged). The document is OpenAPI 3.0.3; its schemas are turned into JSON Schema for Ajv:
//
// - `nullable: true` lets the value be null, with or without a `type` next to it (OpenAPI 3.0.3 only
//   honours it next to `type`; the document relies on the wider reading at
//   TransactionEssence.payload and Gossip.heartbeat, as OpenAPI 3.0.0-3.0.2 tools do);
// - `example`, `xml`, `externalDocs` and `discriminator` are dropped (annotations / hints only);
// - siblings of `$ref` are dropped, as OpenAPI 3.0 ignores them;
// - OpenAPI formats (`float`, `binary`, ...) come from ajv-formats; an unknown keyword or format is an
//   error (Ajv strict mode), so a newer document with constructs this file does not handle fails loudly.
//
// Where the document is wrong in a way that breaks real Hornet responses, DOCUMENT_ERRATA below
// patches it in memory at load time. Each erratum is also listed in test/fixtures/openapi/README.md.
import { AssertionError } from "node:assert";
import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";

export const DOCUMENT_FILE = new URL("../fixtures/openapi/tip-13-rest-api.yaml", import.meta.url).pathname;

export interface Conformance {
  ok: boolean;
  /** the matched operation, as "METHOD /path/{template}" */
  operation?: string;
  errors: string[];
}

/** One patch applied to the parsed document before use (RFC 6902 operations). */
export interface Erratum {
  id: string;
  op: "add" | "replace" | "move";
  /** JSON pointer into the vendored document: the location changed (for "move": the destination) */
  pointer: string;
  /** for "move": where the value is taken from */
  from?: string;
  /** what the document holds at `pointer` ("replace") or `from` ("move"); checked at load */
  was?: unknown;
  /** the new value ("add", "replace") */
  value?: unknown;
  change: string;
  why: string;
}

/**
 * The document's mistakes that make valid Hornet responses fail (or make a schema check nothing),
 * patched in memory. Keep this table as small as possible and in step with the fixture's README.
 */
export const DOCUMENT_ERRATA: readonly Erratum[] = [
  {
    id: "E1",
    op: "replace",
    pointer: "/components/schemas/MessageResponse/properties/data",
    was: { type: "object", properties: { allOf: { $ref: "#/components/schemas/Message" } } },
    value: { type: "object", allOf: [{ $ref: "#/components/schemas/Message" }] },
    change: "`properties: {allOf: {$ref: Message}}` becomes `allOf: [{$ref: Message}]`",
    why:
      '`allOf` is nested under `properties`, so it declares an optional property named "allOf" and ' +
      "`data` of GET /messages/{messageId} and /transactions/{transactionId}/included-message is not " +
      "checked at all; the description and the examples show that `data` is a Message.",
  },
  {
    id: "E2",
    op: "add",
    pointer: "/components/schemas/Message/properties/payload/nullable",
    value: true,
    change: "Message.payload gets `nullable: true`",
    why:
      'Hornet serialises a message without payload as `"payload": null` (the document\'s own example ' +
      "get-message-by-id-empty-response-example does too), but `payload` is required and not nullable. " +
      "Only matters once E1 makes the Message schema apply.",
  },
  {
    id: "E3",
    op: "move",
    from: "/components/schemas/MilestonePayload/properties/parents",
    pointer: "/components/schemas/MilestonePayload/properties/parentMessageIds",
    was: {
      description: "The identifiers of the messages this milestone  references.",
      type: "array",
      items: { type: "string" },
    },
    change: "MilestonePayload property `parents` is renamed `parentMessageIds`",
    why:
      "Hornet 1.x, iota.go and iota.js name the milestone's parents `parentMessageIds`, as the document's " +
      "own example get-message-by-id-milestone-response-example does; no node sends `parents`.",
  },
  {
    id: "E4",
    op: "replace",
    pointer: "/components/schemas/MilestonePayload/required/3",
    was: "parents",
    value: "parentMessageIds",
    change: "MilestonePayload requires `parentMessageIds` instead of `parents`",
    why: "The required list must follow the rename of E3.",
  },
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
const JSON_MEDIA = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const ANNOTATIONS = new Set(["example", "xml", "externalDocs", "discriminator"]);
/** Ajv's key for the converted document; response schemas are compiled as refs into it. */
const DOC_ID = "tip-13";

interface Operation {
  method: string;
  /** the path template as the document writes it */
  template: string;
  /** "METHOD base+template" */
  name: string;
  /** per segment: a regex for it, and whether it is all literal */
  segments: { re: RegExp; literal: boolean }[];
  /** JSON pointer of the operation object */
  pointer: string;
  responses: JsonObject;
}

/** One example response from the document. */
export interface DocumentExample {
  operation: string;
  status: string;
  /** the example's name; "(schema X)" for an `example` on the component schema X (listed once, under
   *  the first response that uses X) */
  name: string;
  /** where the example value sits in the document */
  pointer: string;
  value: unknown;
  /** "response": `example`/`examples` on the response's media type; "schema": `example` on its schema */
  source: "response" | "schema";
}

export interface Checker {
  checkResponse(method: string, path: string, status: number, body: unknown): Conformance;
  assertConforms(method: string, path: string, status: number, body: unknown): void;
  documentedOperations(): string[];
  documentExamples(): DocumentExample[];
}

// ---------------------------------------------------------------------------------------------
// JSON pointers and errata

const unescapePointer = (s: string) => s.replace(/~1/g, "/").replace(/~0/g, "~");
const escapePointer = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");
const pointerOf = (parts: string[]) => parts.map((p) => `/${escapePointer(p)}`).join("");

function splitPointer(pointer: string): string[] {
  if (!pointer.startsWith("/")) throw new Error(`not a JSON pointer: ${pointer}`);
  return pointer.slice(1).split("/").map(unescapePointer);
}

/** The container holding the pointer's last token, and that token. */
function locate(doc: Json, pointer: string): { parent: JsonObject | Json[]; key: string } {
  const parts = splitPointer(pointer);
  let node: Json = doc;
  for (const part of parts.slice(0, -1)) {
    const next: Json | undefined =
      node !== null && typeof node === "object" ? (node as JsonObject)[part] : undefined;
    if (next === undefined) throw new Error(`JSON pointer ${pointer}: nothing at "${part}"`);
    node = next;
  }
  if (node === null || typeof node !== "object") throw new Error(`JSON pointer ${pointer}: not a container`);
  return { parent: node, key: parts.at(-1)! };
}

function getAt(doc: Json, pointer: string): Json | undefined {
  const { parent, key } = locate(doc, pointer);
  return (parent as JsonObject)[key];
}

function setAt(doc: Json, pointer: string, value: Json): void {
  const { parent, key } = locate(doc, pointer);
  (parent as JsonObject)[key] = value;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** Applies the errata to `doc` in place; throws when the document no longer reads as an erratum expects. */
export function applyErrata(doc: Json, errata: readonly Erratum[]): void {
  for (const e of errata) {
    const fail = (what: string) => {
      throw new Error(`erratum ${e.id} (${e.pointer}) no longer applies: ${what}; re-check DOCUMENT_ERRATA`);
    };
    if (e.op === "move") {
      const current = getAt(doc, e.from!);
      if (current === undefined) fail(`nothing at ${e.from}`);
      if (e.was !== undefined && !sameJson(current, e.was)) fail(`${e.from} changed`);
      if (getAt(doc, e.pointer) !== undefined) fail("destination already exists");
      const { parent, key } = locate(doc, e.from!);
      delete (parent as JsonObject)[key];
      setAt(doc, e.pointer, current!);
    } else {
      const current = getAt(doc, e.pointer);
      if (e.op === "add" && current !== undefined) fail("the value is already there");
      if (e.op === "replace" && (current === undefined || (e.was !== undefined && !sameJson(current, e.was))))
        fail("the value changed");
      setAt(doc, e.pointer, structuredClone(e.value) as Json);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// OpenAPI 3.0 schema -> JSON Schema (draft-07, as Ajv's default)

function convertSchema(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(convertSchema);
  if (schema === null || typeof schema !== "object") return schema;
  if (typeof schema.$ref === "string") return { $ref: schema.$ref };
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key) || key === "nullable") continue;
    if (key === "properties" && value !== null && typeof value === "object" && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertSchema(v)]));
    } else if (["items", "allOf", "oneOf", "anyOf", "not", "additionalProperties"].includes(key)) {
      out[key] = convertSchema(value);
    } else {
      out[key] = value;
    }
  }
  // OpenAPI 3.0's boolean exclusiveMinimum/exclusiveMaximum
  for (const [ex, bound] of [
    ["exclusiveMinimum", "minimum"],
    ["exclusiveMaximum", "maximum"],
  ] as const) {
    if (typeof out[ex] === "boolean") {
      if (out[ex] && typeof out[bound] === "number") {
        out[ex] = out[bound];
        delete out[bound];
      } else delete out[ex];
    }
  }
  if (schema.nullable !== true) return out;
  if (
    typeof out.type === "string" &&
    Object.keys(out).every((k) => !["enum", "allOf", "oneOf", "anyOf", "not"].includes(k))
  ) {
    return { ...out, type: [out.type, "null"] };
  }
  return { anyOf: [{ type: "null" }, out] };
}

// ---------------------------------------------------------------------------------------------
// Error messages

function describeError(e: ErrorObject): string {
  const where = e.instancePath === "" ? "(root)" : e.instancePath;
  const p = e.params as Record<string, unknown>;
  let detail = "";
  if (e.keyword === "enum") detail = `: ${JSON.stringify(p.allowedValues)}`;
  else if (e.keyword === "additionalProperties") detail = `: '${String(p.additionalProperty)}'`;
  else if (e.keyword === "const") detail = `: ${JSON.stringify(p.allowedValue)}`;
  return `${where} ${e.message ?? e.keyword}${detail}`;
}

function describeValue(v: unknown): string {
  if (v === undefined) return "no body";
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  const kind = v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
  return `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind}`;
}

// ---------------------------------------------------------------------------------------------

function pathTemplateSegments(template: string): { re: RegExp; literal: boolean }[] {
  return template
    .split("/")
    .slice(1)
    .map((seg) => {
      const parts = seg.split(/(\{[^}/]+\})/).filter((s) => s !== "");
      const literal = parts.every((s) => !s.startsWith("{"));
      const source = parts
        .map((s) => (s.startsWith("{") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        .join("");
      return { re: new RegExp(`^${source}$`), literal };
    });
}

/** Path prefixes from `servers` (variables replaced by their defaults), without a trailing slash. */
function basePaths(doc: JsonObject): string[] {
  const servers = Array.isArray(doc.servers) && doc.servers.length > 0 ? doc.servers : [{ url: "/" }];
  const bases = servers.map((s) => {
    const server = s as JsonObject;
    const vars = (server.variables ?? {}) as JsonObject;
    const url = String(server.url ?? "/").replace(/\{([^}]+)\}/g, (_m, name: string) =>
      String((vars[name] as JsonObject | undefined)?.default ?? ""),
    );
    return new URL(url, "http://localhost").pathname.replace(/\/+$/, "");
  });
  return [...new Set(bases)];
}

/** Builds a checker for a parsed OpenAPI 3.0 document (the vendored one: see the exports below). */
export function createChecker(document: unknown, errata: readonly Erratum[] = []): Checker {
  const doc = structuredClone(document) as JsonObject;
  applyErrata(doc, errata);
  const bases = basePaths(doc);
  const paths = (doc.paths ?? {}) as JsonObject;

  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = (item as JsonObject)[method] as JsonObject | undefined;
      if (!op) continue;
      operations.push({
        method: method.toUpperCase(),
        template,
        name: `${method.toUpperCase()} ${bases[0]}${template}`,
        segments: pathTemplateSegments(template),
        pointer: pointerOf(["paths", template, method]),
        responses: (op.responses ?? {}) as JsonObject,
      });
    }
  }

  // Ajv sees only the schemas, converted, at the same JSON pointers as in the document.
  let ajv: Ajv | undefined;
  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (schemaPointer: string): ValidateFunction => {
    let v = validators.get(schemaPointer);
    if (v) return v;
    if (!ajv) {
      ajv = new Ajv({
        allErrors: true,
        strict: true,
        strictTypes: false,
        strictRequired: false,
        allowUnionTypes: true,
      });
      (addFormatsModule as unknown as { default: (a: Ajv) => Ajv }).default(ajv);
      ajv.addKeyword({ keyword: "paths" });
      ajv.addKeyword({ keyword: "components" });
      const schemas = ((doc.components as JsonObject | undefined)?.schemas ?? {}) as JsonObject;
      const convertedPaths: JsonObject = {};
      for (const op of operations) {
        for (const [status, response] of Object.entries(op.responses)) {
          for (const [media, body] of Object.entries(
            ((response as JsonObject).content ?? {}) as JsonObject,
          )) {
            const schema = (body as JsonObject).schema;
            if (schema === undefined) continue;
            const item = (convertedPaths[op.template] ??= {}) as JsonObject;
            const operation = (item[op.method.toLowerCase()] ??= { responses: {} }) as JsonObject;
            const responses = operation.responses as JsonObject;
            const r = (responses[status] ??= { content: {} }) as JsonObject;
            (r.content as JsonObject)[media] = { schema: convertSchema(schema) };
          }
        }
      }
      ajv.addSchema(
        {
          paths: convertedPaths,
          components: {
            schemas: Object.fromEntries(Object.entries(schemas).map(([k, s]) => [k, convertSchema(s)])),
          },
        },
        DOC_ID,
      );
    }
    const fragment = splitPointer(schemaPointer)
      .map((p) => encodeURIComponent(escapePointer(p)))
      .join("/");
    v = ajv.compile({ $ref: `${DOC_ID}#/${fragment}` });
    validators.set(schemaPointer, v);
    return v;
  };

  const match = (method: string, rawPath: string): Operation | undefined => {
    let path = rawPath;
    if (/^https?:\/\//i.test(path)) path = new URL(path).pathname;
    path = path.replace(/[?#].*$/, "");
    const upper = method.toUpperCase();
    let best: { op: Operation; rank: number[] } | undefined;
    for (const base of bases) {
      if (base !== "" && !path.startsWith(`${base}/`)) continue;
      const segments = path.slice(base.length).split("/").slice(1);
      for (const op of operations) {
        if (op.method !== upper || op.segments.length !== segments.length) continue;
        if (!op.segments.every((s, i) => s.re.test(segments[i]!))) continue;
        // OpenAPI: concrete paths win over templated ones; compare segment by segment.
        const rank = op.segments.map((s) => (s.literal ? 1 : 0));
        if (!best || rank.join("") > best.rank.join("")) best = { op, rank };
      }
    }
    return best?.op;
  };

  const checkResponse = (method: string, path: string, status: number, body: unknown): Conformance => {
    const op = match(method, path);
    if (!op) return { ok: false, errors: ["undocumented operation"] };
    const key = [String(status), `${String(status)[0]}XX`, "default"].find((k) => k in op.responses);
    if (key === undefined) {
      const documented = Object.keys(op.responses).join(", ");
      return {
        ok: false,
        operation: op.name,
        errors: [`status ${status} is not documented for ${op.name} (documented: ${documented})`],
      };
    }
    const content = ((op.responses[key] as JsonObject).content ?? {}) as JsonObject;
    const media = Object.keys(content);
    const jsonMedia = media.find((m) => JSON_MEDIA.test(m));
    const errors: string[] = [];
    if (jsonMedia === undefined) {
      const empty = body === undefined || body === null || body === "";
      if (media.length === 0 && !empty) {
        errors.push(`status ${key} of ${op.name} documents no body, got ${describeValue(body)}`);
      } else if (media.length > 0 && !(body instanceof Uint8Array || typeof body === "string")) {
        errors.push(
          `status ${key} of ${op.name} documents ${media.join(", ")}, not JSON; got ${describeValue(body)}`,
        );
      }
    } else if ((content[jsonMedia] as JsonObject).schema !== undefined) {
      const validate = validatorFor(
        `${op.pointer}${pointerOf(["responses", key, "content", jsonMedia, "schema"])}`,
      );
      if (!validate(body)) errors.push(...new Set((validate.errors ?? []).map(describeError)));
    }
    return { ok: errors.length === 0, operation: op.name, errors };
  };

  const assertConforms = (method: string, path: string, status: number, body: unknown): void => {
    const c = checkResponse(method, path, status, body);
    if (c.ok) return;
    const what = `${method.toUpperCase()} ${path} -> ${status}`;
    throw new AssertionError({
      message:
        `${what} does not conform to TIP-13${c.operation ? ` (${c.operation})` : ""}:\n` +
        c.errors.map((e) => `  - ${e}`).join("\n") +
        `\nbody: ${JSON.stringify(body)?.slice(0, 2000)}`,
      actual: body,
      operator: "assertConforms",
    });
  };

  const documentExamples = (): DocumentExample[] => {
    const examples = ((doc.components as JsonObject | undefined)?.examples ?? {}) as JsonObject;
    const schemas = ((doc.components as JsonObject | undefined)?.schemas ?? {}) as JsonObject;
    const out: DocumentExample[] = [];
    for (const op of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        const content = ((response as JsonObject).content ?? {}) as JsonObject;
        for (const [media, body] of Object.entries(content)) {
          if (!JSON_MEDIA.test(media)) continue;
          const mt = body as JsonObject;
          const at = `${op.pointer}${pointerOf(["responses", status, "content", media])}`;
          const base = { operation: op.name, status, source: "response" as const };
          if (mt.example !== undefined)
            out.push({ ...base, name: "example", pointer: `${at}/example`, value: mt.example });
          for (const [name, ex] of Object.entries((mt.examples ?? {}) as JsonObject)) {
            let exPointer = `${at}${pointerOf(["examples", name])}`;
            let example = ex as JsonObject;
            const ref = example.$ref;
            if (typeof ref === "string") {
              const m = /^#\/components\/examples\/(.+)$/.exec(ref);
              if (!m || examples[unescapePointer(m[1]!)] === undefined)
                throw new Error(`${exPointer}: bad $ref ${ref}`);
              exPointer = ref.slice(1);
              example = examples[unescapePointer(m[1]!)] as JsonObject;
            }
            if (example.value !== undefined)
              out.push({ ...base, name, pointer: `${exPointer}/value`, value: example.value });
          }
          const schemaRef = (mt.schema as JsonObject | undefined)?.$ref;
          const m = typeof schemaRef === "string" ? /^#\/components\/schemas\/(.+)$/.exec(schemaRef) : null;
          const schema = m ? (schemas[unescapePointer(m[1]!)] as JsonObject | undefined) : undefined;
          const pointer = `${m?.[0].slice(1)}/example`;
          if (m && schema?.example !== undefined && !out.some((e) => e.pointer === pointer)) {
            out.push({ ...base, source: "schema", name: `(schema ${m[1]})`, pointer, value: schema.example });
          }
        }
      }
    }
    return out;
  };

  return {
    checkResponse,
    assertConforms,
    documentedOperations: () => operations.map((o) => o.name),
    documentExamples,
  };
}

let vendored: Checker | undefined;

/** The checker for the vendored TIP-13 document with DOCUMENT_ERRATA applied (parsed once). */
export function tip13(): Checker {
  vendored ??= createChecker(parse(readFileSync(DOCUMENT_FILE, "utf8")), DOCUMENT_ERRATA);
  return vendored;
}

/**
 * Finds the operation for METHOD and a concrete path such as /api/v1/messages/abcd.../metadata (path
 * templates like {messageId} match one segment; the document's server base path is handled; a query
 * string is ignored), then validates the status code (documented, `NXX` or `default`) and the JSON
 * body against the response schema.
 */
export function checkResponse(method: string, path: string, status: number, body: unknown): Conformance {
  return tip13().checkResponse(method, path, status, body);
}

/** As checkResponse but throws an AssertionError listing every error (for tests). */
export function assertConforms(method: string, path: string, status: number, body: unknown): void {
  tip13().assertConforms(method, path, status, body);
}

/** Every operation in the document as "METHOD /path/{template}". */
export function documentedOperations(): string[] {
  return tip13().documentedOperations();
}

/** Every example response in the document (JSON media types only). */
export function documentExamples(): DocumentExample[] {
  return tip13().documentExamples();
}
