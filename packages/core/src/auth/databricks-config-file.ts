import { readFile } from "node:fs/promises";
import { ConfigError } from "../errors/config-error.js";

/** The profiles of a `.databrickscfg` file: section name -> lower-cased key -> value. */
export type DatabricksConfigProfiles = Map<string, Record<string, string>>;

/**
 * Parses a `.databrickscfg` INI file the way the Databricks SDKs read it: `[section]` headers
 * (names are case-sensitive and may contain dots), `key = value` or `key: value` lines (keys
 * lower-cased, values trimmed, one pair of surrounding quotes removed), full-line `#`/`;` comments,
 * keys before the first header belong to `DEFAULT`, and sections do not inherit from `DEFAULT`.
 * Inline comments are not stripped, so secrets containing `#` or `;` survive.
 *
 * A hand-written parser rather than the `ini` package: that package splits section names on dots
 * (`[dev.workspace]` becomes nested) and coerces values, both wrong for this file.
 *
 * @throws ConfigError on a line that is neither a header, a pair, a comment nor blank (naming the line, never its content).
 */
export function parseDatabricksConfig(text: string, fileName = ".databrickscfg"): DatabricksConfigProfiles {
  const profiles: DatabricksConfigProfiles = new Map();
  let current = "DEFAULT";
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[\s*([^\]]*?)\s*\]$/.exec(line);
    if (header) {
      current = header[1]!;
      if (!profiles.has(current)) profiles.set(current, {});
      continue;
    }
    const eq = line.search(/[=:]/);
    if (eq <= 0)
      throw new ConfigError(`${fileName} line ${i + 1} is neither [section] nor key = value`, {
        hint: "Fix the file's syntax",
      });
    const key = line.slice(0, eq).trim().toLowerCase();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]))
      value = value.slice(1, -1);
    let section = profiles.get(current);
    if (!section) {
      section = {};
      profiles.set(current, section);
    }
    section[key] = value;
  }
  return profiles;
}

/**
 * Reads and parses a `.databrickscfg` file; returns undefined when it does not exist.
 *
 * @throws ConfigError when the file exists but cannot be read or parsed.
 */
export async function readDatabricksConfig(path: string): Promise<DatabricksConfigProfiles | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new ConfigError(`Cannot read the Databricks config file ${path}: ${code ?? String(error)}`, {
      sources: ["DATABRICKS_CONFIG_FILE"],
    });
  }
  return parseDatabricksConfig(text, path);
}
