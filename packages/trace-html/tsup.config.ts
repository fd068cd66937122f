import { packageBuild } from "../../tsup.shared";

// tsup only reads a default export.
export default packageBuild;
