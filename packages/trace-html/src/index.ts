export {
  describeHandle,
  type RenderTraceHtmlOptions,
  renderTraceHtml,
  type TraceHtmlChecks,
} from "./render-trace-html.js";
export { VERSION } from "./version.js";
