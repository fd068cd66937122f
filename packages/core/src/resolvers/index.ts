export type { RunImage, RunImageResolver } from "./run-image-resolver.js";
