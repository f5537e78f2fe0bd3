// A Camunda 7 external task worker as its users write it; only the base URL and credentials
// point at flowdesk. Each task's "mode" variable says what to do; it stops after `expected` tasks.
import { Client, BasicAuthInterceptor, Variables, logger } from "camunda-external-task-client-js";

const [baseUrl, username, password, expected] = process.argv.slice(2);
const client = new Client({
  baseUrl,
  interceptors: new BasicAuthInterceptor({ username, password }),
  asyncResponseTimeout: 2000,
  lockDuration: 10000,
  use: logger.level("error"),
});

let handled = 0;
const done = async () => {
  handled += 1;
  if (handled >= Number(expected)) {
    client.stop();
    setTimeout(() => process.exit(0), 100);
  }
};

client.subscribe("payments", async ({ task, taskService }) => {
  const mode = task.variables.get("mode");
  if (mode === "complete") {
    const variables = new Variables().setAll({ charged: true, receipt: { id: "r-1" } });
    await taskService.complete(task, variables);
  } else if (mode === "fail") {
    await taskService.handleFailure(task, { errorMessage: "card reader down", errorDetails: "stack",
                                            retries: 0, retryTimeout: 0 });
  } else {
    const variables = new Variables().set("decline_reason", "expired");
    await taskService.handleBpmnError(task, "payment_declined", "declined", variables);
  }
  console.log(`${mode} ${task.id}`);
  await done();
});
setTimeout(() => { console.error("timed out"); process.exit(2); }, 30000);
