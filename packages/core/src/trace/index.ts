export * from "./schema.js";
export { stripUrlCredentials } from "./strip-url-credentials.js";
