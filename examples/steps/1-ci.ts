/**
 * Step 1, CI: detect the trace context of this checkout, render the Databricks job template with the
 * commit injected, validate it, and (with MODELTRAIL_DEMO_DEPLOY=1 and DATABRICKS_HOST) create or
 * update the job in that workspace. Writes the context and the job definition to the state.
 *
 *   node examples/steps/1-ci.ts            # render + validate; deploy only when asked to
 */
import { createLocalIdGenerator } from "@modeltrail/databricks";
import { runStep } from "../lib/step-cli.ts";
import { ciStep } from "../pipeline/ci.ts";

await runStep<Record<string, never>>({
  file: "1-ci.ts",
  summary:
    "Step 1, CI: detectTraceContext() on this checkout, renderJobTemplate() of examples/pipeline/job.template.yaml with the commit, validated; deployJob() when asked to.",
  env: [
    ["GITHUB_SHA, CI, ...", "a CI provider's variables win over git for the commit and the CI run"],
    ["MODELTRAIL_DEMO_DEPLOY", "1: create or update the job in the workspace (needs DATABRICKS_HOST)"],
    ["DATABRICKS_HOST", "the workspace; auth as the Databricks SDKs read it (DATABRICKS_TOKEN, OAuth, ...)"],
  ],
  async run({ state, save, dryRun, signal }) {
    if (dryRun) {
      console.log(
        `would detect the trace context of this checkout, render examples/pipeline/job.template.yaml${process.env.MODELTRAIL_DEMO_DEPLOY === "1" && process.env.DATABRICKS_HOST ? `, and deploy the job to ${process.env.DATABRICKS_HOST}` : ""}`,
      );
      return;
    }
    const ci = await ciStep({ signal });
    // a local job id when the job was not deployed: the runner's runs are numbered from it
    const jobId = ci.deployed?.jobId ? String(ci.deployed.jobId) : String(createLocalIdGenerator()());
    state.ci = {
      ctx: ci.ctx.toJSON() as Record<string, unknown>,
      settings: ci.settings,
      jobId,
      deployedTo: ci.deployed ? process.env.DATABRICKS_HOST : undefined,
    };
    // a new CI run starts a new pipeline: what later steps made belongs to the previous one
    delete state.runs;
    delete state.versions;
    delete state.images;
    delete state.deployed;
    delete state.traced;
    await save();
    console.log(`\nstep 1 done: commit ${ci.ctx.code?.gitSha}, job ${jobId}; state in the state file`);
  },
});
