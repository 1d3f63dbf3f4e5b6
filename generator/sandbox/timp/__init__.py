"""The TIMP order-cancelation workflow: fixtures, state rules and the stateful handlers that the
generic sandbox mounts for the documented endpoints (`sandbox_workflow: true`)."""
