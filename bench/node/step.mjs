// The Node peer: one pipeline step with the AWS SDK for JavaScript v3, the way
// a Node-based GitHub action does it (one process per step, a fresh client,
// endpoint and credentials from the standard environment variables).
//
//   node step.mjs resolve CLUSTER SERVICE
//   node step.mjs start   CLUSTER TASK_DEFINITION CONTAINER SUBNET SG
//   node step.mjs wait    CLUSTER TASK_ARN
//   node step.mjs logs    GROUP STREAM
// Prints the step's result on stdout (for a sanity check by the driver).
import {
  DescribeServicesCommand,
  ECSClient,
  RunTaskCommand,
  waitUntilTasksStopped,
} from "@aws-sdk/client-ecs";
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";

const [step, ...args] = process.argv.slice(2);

async function main() {
  if (step === "resolve") {
    const [cluster, service] = args;
    const ecs = new ECSClient({});
    const out = await ecs.send(
      new DescribeServicesCommand({ cluster, services: [service] }));
    const vpc = out.services[0].networkConfiguration.awsvpcConfiguration;
    console.log(JSON.stringify(vpc));
  } else if (step === "start") {
    const [cluster, taskDefinition, container, subnet, sg] = args;
    const ecs = new ECSClient({});
    const out = await ecs.send(new RunTaskCommand({
      cluster,
      taskDefinition,
      launchType: "FARGATE",
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: [subnet], securityGroups: [sg], assignPublicIp: "DISABLED",
        },
      },
      overrides: {
        containerOverrides: [
          { name: container, command: ["npx", "prisma", "migrate", "deploy"] },
        ],
      },
    }));
    if (out.failures && out.failures.length) throw new Error(JSON.stringify(out.failures));
    console.log(out.tasks[0].taskArn);
  } else if (step === "wait") {
    const [cluster, task] = args;
    const ecs = new ECSClient({});
    // The SDK's waiter: DescribeTasks every 6 s (minDelay) until STOPPED.
    const result = await waitUntilTasksStopped(
      { client: ecs, maxWaitTime: 600, minDelay: 6 }, { cluster, tasks: [task] });
    console.log(result.state);
  } else if (step === "logs") {
    const [logGroupName, logStreamName] = args;
    const logs = new CloudWatchLogsClient({});
    let nextToken;
    let count = 0;
    const chunks = [];
    for (;;) {
      const page = await logs.send(new GetLogEventsCommand({
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
    console.error(`events=${count}`);
  } else {
    console.error("usage: node step.mjs resolve|start|wait|logs ...");
    process.exit(2);
  }
}

main().catch((error) => {
  console.error(`step ${step}: ${error.name}: ${error.message}`);
  process.exit(1);
});
