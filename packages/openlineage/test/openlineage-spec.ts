import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { MODELTRAIL_FACET_SCHEMAS, OPENLINEAGE_SPEC_URL, type RunEvent } from "../src/index.js";

/**
 * The official OpenLineage JSON Schemas (`OpenLineage.json` 2-0-2 and `facets/*.json`, Apache-2.0).
 * No registry package ships them (openlineage-python and openlineage-java 1.54.0 ship generated
 * code only; see the README), and files brought from the OpenLineage repository are not committed
 * here. The tests look for them, in this order, in `$OPENLINEAGE_SPEC_DIR`, in a `shared/openlineage-spec`
 * folder beside the clone (or beside any parent folder of it), and in
 * `~/.cache/modeltrail/openlineage-spec-2-0-2`. Returns undefined when none holds `OpenLineage.json`.
 */
export function findOpenLineageSpecDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.OPENLINEAGE_SPEC_DIR) candidates.push(process.env.OPENLINEAGE_SPEC_DIR);
  let dir = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
  for (let i = 0; i < 4; i++) {
    candidates.push(
      join(dir, "shared", "openlineage-spec"),
      join(dirname(dir), "shared", "openlineage-spec"),
    );
    dir = dirname(dir);
  }
  candidates.push(join(homedir(), ".cache", "modeltrail", "openlineage-spec-2-0-2"));
  return candidates.find((c) => existsSync(join(c, "OpenLineage.json")) && existsSync(join(c, "facets")));
}

/** An OpenLineage event validator: the spec's RunEvent schema, then each facet against the schema its `_schemaURL` names. */
export interface SpecValidator {
  /** The `$id`s of every schema loaded (spec, facets, modeltrail's facets). */
  ids: Set<string>;
  /** Validation errors of one event (empty when valid), as `path: message` lines. */
  validate(event: unknown): string[];
}

/** Loads every schema of `specDir` and modeltrail's facet schemas into one Ajv (draft 2020-12, formats checked). */
export function loadSpecValidator(specDir: string): SpecValidator {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const ids = new Set<string>();
  const add = (schema: Record<string, unknown>) => {
    ajv.addSchema(schema);
    ids.add(String(schema.$id));
  };
  const spec = JSON.parse(readFileSync(join(specDir, "OpenLineage.json"), "utf8"));
  if (spec.$id !== OPENLINEAGE_SPEC_URL)
    throw new Error(`${specDir} holds ${spec.$id}, not ${OPENLINEAGE_SPEC_URL}`);
  add(spec);
  for (const f of readdirSync(join(specDir, "facets")).filter((n) => n.endsWith(".json")))
    add(JSON.parse(readFileSync(join(specDir, "facets", f), "utf8")));
  for (const schema of Object.values(MODELTRAIL_FACET_SCHEMAS)) add(schema as Record<string, unknown>);

  const runEvent = ajv.getSchema(`${OPENLINEAGE_SPEC_URL}#/$defs/RunEvent`) as ValidateFunction;
  const format = (where: string, v: ValidateFunction) =>
    (v.errors ?? []).map((e) => `${where}${e.instancePath}: ${e.message} ${JSON.stringify(e.params)}`);

  const facetErrors = (where: string, facets: Record<string, { _schemaURL?: string }> | undefined) => {
    const out: string[] = [];
    for (const [key, value] of Object.entries(facets ?? {})) {
      const url = value?._schemaURL ?? "";
      const id = url.split("#")[0] as string;
      const fileSchema = ids.has(id) ? ajv.getSchema(id) : undefined;
      if (!fileSchema) {
        out.push(`${where}/${key}: _schemaURL ${url} names no known schema`);
        continue;
      }
      // A facet file's schema has `properties: { <key>: $ref }`: validating `{ key: facet }` checks
      // the facet's fields and that it sits under the key its schema defines.
      const props = Object.keys((fileSchema.schema as { properties?: object }).properties ?? {});
      if (!props.includes(key))
        out.push(`${where}/${key}: ${id} defines the facet key(s) ${props.join(", ")}`);
      if (!fileSchema({ [key]: value })) out.push(...format(`${where}/${key}`, fileSchema));
    }
    return out;
  };

  return {
    ids,
    validate(event: unknown): string[] {
      const errors: string[] = [];
      if (!runEvent(event)) errors.push(...format("", runEvent));
      const e = event as RunEvent;
      errors.push(...facetErrors("/run/facets", e.run?.facets));
      errors.push(...facetErrors("/job/facets", e.job?.facets));
      for (const [list, name] of [
        [e.inputs ?? [], "inputs"],
        [e.outputs ?? [], "outputs"],
      ] as const) {
        list.forEach((d, i) => {
          errors.push(...facetErrors(`/${name}/${i}/facets`, d.facets));
          const io = "inputFacets" in d ? d.inputFacets : "outputFacets" in d ? d.outputFacets : undefined;
          errors.push(...facetErrors(`/${name}/${i}/io`, io));
        });
      }
      return errors;
    },
  };
}
