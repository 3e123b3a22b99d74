// The Node peer: one pipeline step with the AWS SDK for JavaScript v3, the way
// a Node-based GitHub action does it (one process per step, a fresh client,
// endpoint and credentials from the standard environment variables), or the
// whole run -> wait -> logs pipeline in one process, as one Node action would.
//
//   node step.mjs resolve  CLUSTER SERVICE
//   node step.mjs start    CLUSTER TASK_DEFINITION CONTAINER SUBNETS SGS [STARTED_BY]
//   node step.mjs wait     CLUSTER TASK_ARN
//   node step.mjs logs     GROUP STREAM
//   node step.mjs pipeline CLUSTER TASK_DEFINITION CONTAINER SUBNETS SGS GROUP PREFIX [STARTED_BY]
// SUBNETS and SGS are comma-separated. Prints the step's result on stdout (for
// a sanity check by the driver); pipeline prints the task's log, then its exit
// code, and exits 1 unless it is 0.
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  RunTaskCommand,
  waitUntilTasksStopped,
} from "@aws-sdk/client-ecs";
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";

const [step, ...args] = process.argv.slice(2);

async function resolve(ecs, cluster, service) {
  const out = await ecs.send(
    new DescribeServicesCommand({ cluster, services: [service] }));
  return out.services[0].networkConfiguration.awsvpcConfiguration;
}

async function start(ecs, cluster, taskDefinition, container, subnets, sgs, startedBy) {
  const out = await ecs.send(new RunTaskCommand({
    cluster,
    taskDefinition,
    launchType: "FARGATE",
    startedBy,
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: subnets.split(","), securityGroups: sgs.split(","),
        assignPublicIp: "DISABLED",
      },
    },
    overrides: {
      containerOverrides: [
        { name: container, command: ["npx", "prisma", "migrate", "deploy"] },
      ],
    },
  }));
  if (out.failures && out.failures.length) throw new Error(JSON.stringify(out.failures));
  return out.tasks[0].taskArn;
}

// The SDK's waiter: DescribeTasks every 6 s (minDelay) until STOPPED, with
// exponential backoff up to maxDelay (120 s).
async function wait(ecs, cluster, task) {
  const result = await waitUntilTasksStopped(
    { client: ecs, maxWaitTime: 600, minDelay: 6 }, { cluster, tasks: [task] });
  return result.state;
}

async function exitCode(ecs, cluster, task, container) {
  const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [task] }));
  const found = out.tasks[0].containers.find((c) => c.name === container);
  return found ? found.exitCode : undefined;
}

// Every event of the stream, in order, written to stdout; returns the count.
async function logs(logGroupName, logStreamName) {
  const client = new CloudWatchLogsClient({});
  let nextToken;
  let count = 0;
  const chunks = [];
  for (;;) {
    const page = await client.send(new GetLogEventsCommand({
      logGroupName, logStreamName, startFromHead: true, nextToken,
    }));
    for (const event of page.events) chunks.push(event.message);
    count += page.events.length;
    if (chunks.length >= 10000) {
      process.stdout.write(chunks.join("\n") + "\n");
      chunks.length = 0;
    }
    if (page.nextForwardToken === nextToken) break;
    nextToken = page.nextForwardToken;
  }
  if (chunks.length) process.stdout.write(chunks.join("\n") + "\n");
  return count;
}

async function main() {
  if (step === "resolve") {
    console.log(JSON.stringify(await resolve(new ECSClient({}), ...args)));
  } else if (step === "start") {
    const [cluster, taskDefinition, container, subnets, sgs, startedBy] = args;
    console.log(await start(new ECSClient({}), cluster, taskDefinition, container,
      subnets, sgs, startedBy));
  } else if (step === "wait") {
    const [cluster, task] = args;
    console.log(await wait(new ECSClient({}), cluster, task));
  } else if (step === "logs") {
    console.error(`events=${await logs(...args)}`);
  } else if (step === "pipeline") {
    const [cluster, taskDefinition, container, subnets, sgs, group, prefix, startedBy] = args;
    const ecs = new ECSClient({});
    const task = await start(ecs, cluster, taskDefinition, container, subnets, sgs, startedBy);
    await wait(ecs, cluster, task);
    const code = await exitCode(ecs, cluster, task, container);
    await logs(group, `${prefix}/${container}/${task.split("/").pop()}`);
    console.log(`exit code ${code}`);
    if (code !== 0) process.exit(1);
  } else {
    console.error("usage: node step.mjs resolve|start|wait|logs|pipeline ...");
    process.exit(2);
  }
}

main().catch((error) => {
  console.error(`step ${step}: ${error.name}: ${error.message}`);
  process.exit(1);
});
