/**
 * @module server/openapi
 * What turns the routes' zod schemas into an OpenAPI document that generated clients
 * (openapi-typescript + openapi-fetch) and linters (Redocly) accept: request bodies that
 * differ by media type, components without the unused `*Input` twins that
 * fastify-type-provider-zod emits for every registered schema, and no single-member
 * `allOf` wrappers (what zod writes for an optional reference).
 * @see https://spec.openapis.org/oas/v3.0.3 (Request Body Object: `content` by media type)
 */
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';

declare module 'fastify' {
  interface FastifySchema {
    /**
     * The request body by media type, for the document only (the route's `body` still
     * validates): e.g. a workflow sent as YAML text or as a JSON object.
     */
    bodyContent?: Record<string, ZodType>;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * `jsonSchemaTransform` plus `bodyContent`: each media type's zod schema is converted on its
 * own and the request body documented as `{ content: { <type>: { schema } } }`, the form
 * @fastify/swagger copies through.
 */
export const transformRoute: SwaggerTransform = (arg) => {
  const { bodyContent, ...schema } = arg.schema;
  const out = jsonSchemaTransform({ ...arg, schema });
  if (!bodyContent) return out;
  const content: Record<string, { schema: unknown }> = {};
  for (const [type, zod] of Object.entries(bodyContent)) {
    content[type] = { schema: (jsonSchemaTransform({ ...arg, schema: { body: zod } }).schema as { body: unknown }).body };
  }
  return { ...out, schema: { ...out.schema, body: { content } } };
};

/**
 * `jsonSchemaTransformObject`, then: single-member `allOf` collapsed into its member, and
 * component schemas that no path reaches (directly or through other components) removed.
 */
export const transformDocument: SwaggerTransformObject = (doc) => {
  const out = collapseAllOf(jsonSchemaTransformObject(doc) as unknown as Json) as { paths?: Json; components?: { schemas?: Record<string, Json> } };
  const schemas = out.components?.schemas;
  if (!schemas) return out as ReturnType<SwaggerTransformObject>;
  const used = new Set<string>();
  const visit = (v: Json | undefined): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string' && x.startsWith('#/components/schemas/')) {
          const name = x.slice('#/components/schemas/'.length);
          if (!used.has(name)) {
            used.add(name);
            visit(schemas[name]);
          }
        } else visit(x);
      }
    }
  };
  visit(out.paths);
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
  return out as ReturnType<SwaggerTransformObject>;
};

/** `{ allOf: [X] }` with nothing beside it means X; Redocly flags the wrapper as illogical. */
function collapseAllOf(v: Json): Json {
  if (Array.isArray(v)) return v.map(collapseAllOf);
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v);
  if (keys.length === 1 && Array.isArray(v.allOf) && v.allOf.length === 1) return collapseAllOf(v.allOf[0]!);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, collapseAllOf(x)]));
}
