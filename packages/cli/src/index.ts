/**
 * @modeltrail/cli: the `modeltrail` command and the library modules it is built from, such as the
 * local deploy target that stands in for Kubernetes when there is no cluster.
 * @packageDocumentation
 */
export { VERSION } from "./version.js";
