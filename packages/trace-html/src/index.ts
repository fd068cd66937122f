export {
  describeHandle,
  type RenderTraceHtmlOptions,
  renderTraceHtml,
  shortHandle,
  type TraceHtmlChecks,
} from "./render-trace-html.js";
export { VERSION } from "./version.js";
