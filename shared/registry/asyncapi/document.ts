/**
 * A tenant's AsyncAPI 2.6 document, pure: the webhooks changecast SENDS to a route's endpoint,
 * one channel per event type of each record type in the registry, the latest registered schema
 * of each as the message payload. In AsyncAPI 2.x an operation is named from the point of view of
 * the user of the API: what the application sends, the user receives, so every operation is a
 * `subscribe` (AsyncAPI 2.6 §Channel Item Object). The servers are the subscribers' receivers.
 */
import { OPS, opPastTense } from "../../change/ops";
import { REGIONS } from "../../record/region";
import { ATTRIBUTES, payloadFor, type RegisteredLatest } from "./payloads";

export type { RegisteredLatest };
export type AsyncApiTenant = { id: string; name: string; typePrefix: string };
export type AsyncApiInput = {
  tenant: AsyncApiTenant;
  /** The latest live version of every subject (= record type) of the tenant's registry. */
  subjects: readonly RegisteredLatest[];
  /** The tenant's registry base URL: …/registry/t/{tenant}. */
  registryUrl: string;
  /** What receivers see in WebHook-Request-Origin. */
  webhookOrigin: string;
};

export const ASYNCAPI_VERSION = "2.6.0";
/** @asyncapi/bindings http 0.3.0: operation {method}, message {headers, statusCode}. */
const HTTP_BINDING_VERSION = "0.3.0";

const REGION_NAMES: Record<(typeof REGIONS)[number], string> = { us: "the United States", eu: "the European Union", ap: "Asia-Pacific" };

export const SIGNATURE_SCHEME = {
  type: "httpApiKey",
  in: "header",
  name: "webhook-signature",
  description: [
    "Standard Webhooks v1 HMAC-SHA256 (https://www.standardwebhooks.com): `webhook-signature` is `v1,<base64 HMAC-SHA256>` of",
    '`"{webhook-id}.{webhook-timestamp}.{body}"` keyed with the route\'s secret (`whsec_<base64 key>`, shown once when the',
    "route is created or its secret rotated). During a rotation the header carries both signatures, space-separated: accept",
    "the request if any one verifies. Reject a `webhook-timestamp` more than 5 minutes from your clock (replays), and",
    "deduplicate on `webhook-id` (the event id, the same on every retry). Any Standard Webhooks or Svix library verifies it.",
  ].join(" "),
};

function headersSchema(origin: string) {
  const str = (description: string, extra: Record<string, unknown> = {}) => ({ type: "string", description, ...extra });
  const ce = Object.fromEntries(
    ATTRIBUTES.filter((a) => a.name !== "datacontenttype").map((a) => [`ce-${a.name}`, str(`binary content mode only: the ${a.name} attribute (${a.description}), percent-encoded`)]),
  );
  return {
    type: "object",
    required: ["content-type", "webhook-id", "webhook-timestamp", "webhook-signature", "webhook-request-origin"],
    properties: {
      "content-type": str("application/cloudevents+json (structured mode, the default: the body is the whole event) or application/json (binary mode: the body is `data`)", {
        enum: ["application/cloudevents+json", "application/json"],
      }),
      "webhook-id": str("the event id (UUIDv7): the same on every retry, the key to deduplicate on", { format: "uuid" }),
      "webhook-timestamp": str("unix seconds when this attempt was signed", { pattern: "^[0-9]+$" }),
      "webhook-signature": str("v1,<base64 HMAC-SHA256>, space-separated during a secret rotation (see the security scheme)", { pattern: "^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$" }),
      "webhook-request-origin": str("the sending system (CloudEvents HTTP Web Hooks §4.1.2)", { const: origin }),
      ...ce,
    },
  };
}

function description(input: AsyncApiInput): string {
  return [
    `The change events changecast sends to the routes of tenant "${input.tenant.name}" (${input.tenant.id}): one HTTPS POST per event to the route's URL.`,
    "",
    "* Each event is a CloudEvents 1.0 event; in structured content mode (the default) the body is the event (`application/cloudevents+json`), in binary mode the",
    "  attributes travel as `ce-*` headers and the body is the event's `data` (`application/json`).",
    "* Every request is signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`): see the security scheme.",
    "* Answer any 2xx within the route's timeout. 410 disables the route; 429/503 with Retry-After are honoured; anything else is retried on the route's",
    "  schedule, then dead-lettered. Per-record order is kept on routes with ordering per-record or exactly-once.",
    `* Payloads are the latest version of each record type's schema in the tenant's registry (${input.registryUrl}); an event names the version it was`,
    "  validated against in `dataschema`. A route may pin a version: events it cannot read are held for it, not sent.",
  ].join("\n");
}

export function asyncApiDocument(input: AsyncApiInput): Record<string, unknown> {
  const { tenant } = input;
  const subjects = [...input.subjects].sort((a, b) => a.subject.localeCompare(b.subject));
  const channels: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = { WebhookHeaders: headersSchema(input.webhookOrigin) };
  for (const s of subjects) {
    const eventTypes = OPS.map((op) => `${tenant.typePrefix}.${s.subject}.${opPastTense(op)}`);
    const dataschema = `${input.registryUrl}/schemas/ids/${s.id}`;
    const p = payloadFor(s, { tenant: tenant.id, eventTypes, dataschema });
    Object.assign(schemas, p.schemas ?? {});
    // One message per event type: a messageId is unique across the document, so channels cannot
    // share one. The payload is written out once, in the first, and referenced by the others.
    const first = `${s.subject}_${opPastTense(OPS[0])}`;
    OPS.forEach((op, i) => {
      const type = eventTypes[i]!;
      const past = opPastTense(op);
      const messageId = `${s.subject}_${past}`;
      messages[messageId] = {
        messageId,
        name: type,
        title: `${s.subject} ${past.replace("_", " ")}`,
        summary: `A ${s.subject} record was ${past.replace("_", " ")} (op "${op}"); the record is ${s.subject} v${s.version} (schema id ${s.id}, ${s.type}).`,
        contentType: "application/cloudevents+json",
        schemaFormat: p.schemaFormat,
        payload: i === 0 ? p.payload : { $ref: `#/components/messages/${first}/payload` },
        traits: [{ $ref: "#/components/messageTraits/webhook" }],
        tags: [{ name: s.subject }],
        externalDocs: { description: `${s.subject} v${s.version} in the schema registry`, url: dataschema },
        "x-registry": { subject: s.subject, version: s.version, id: s.id, schemaType: s.type },
      };
      channels[type] = {
        description: `CloudEvents type \`${type}\`: POSTed to the route's URL (the server), with \`type\` (\`ce-type\` in binary mode) set to this name.`,
        subscribe: {
          operationId: `receive_${messageId}`,
          summary: `Receive ${type} events.`,
          tags: [{ name: s.subject }],
          bindings: { http: { method: "POST", bindingVersion: HTTP_BINDING_VERSION } },
          message: { $ref: `#/components/messages/${messageId}` },
        },
      };
    });
  }
  const servers = Object.fromEntries(
    REGIONS.map((region) => [
      region,
      {
        url: "{routeUrl}",
        protocol: "https",
        description: `The receiver of a route in region "${region}": its events are queued and sent from ${REGION_NAMES[region]}.`,
        variables: { routeUrl: { description: "the route's URL, as set on the route (HTTPS)", default: "https://receiver.example.com/changecast" } },
        security: [{ standardWebhooks: [] }],
        tags: [{ name: `region:${region}` }],
      },
    ]),
  );
  const maxId = Math.max(0, ...subjects.map((s) => s.id));
  return {
    asyncapi: ASYNCAPI_VERSION,
    id: `urn:changecast:tenant:${tenant.id}`,
    info: {
      title: `changecast change events: ${tenant.name}`,
      // Moves whenever a schema is registered: the newest schema id is part of it.
      version: `1.0.0+schema.${maxId}`,
      description: description(input),
    },
    defaultContentType: "application/cloudevents+json",
    tags: [{ name: "changecast" }, { name: "cloudevents" }, { name: "webhooks" }],
    servers,
    channels,
    components: {
      schemas,
      messages,
      securitySchemes: { standardWebhooks: SIGNATURE_SCHEME },
      messageTraits: {
        webhook: {
          headers: { $ref: "#/components/schemas/WebhookHeaders" },
          correlationId: { description: "the event id, the same on every retry of the event", location: "$message.header#/webhook-id" },
          bindings: { http: { headers: { $ref: "#/components/schemas/WebhookHeaders" }, bindingVersion: HTTP_BINDING_VERSION } },
        },
      },
    },
  };
}
