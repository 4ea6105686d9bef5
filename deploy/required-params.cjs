// osls plugin: the variable source `requiredParam`, the last fallback of a param a deployed stage cannot do
// without. `${param:imsProjectId, requiredParam:imsProjectId}` resolves to the param when the stage (or
// `--param`) sets it; otherwise every command (package, deploy, print) stops before anything is built or
// created, with a message naming the param and how to set it.
'use strict';

class RequiredParams {
  constructor() {
    this.configurationVariablesSources = {
      requiredParam: {
        async resolve({ address, options, resolveConfigurationProperty }) {
          const stage = options.stage ?? (await resolveConfigurationProperty(['provider', 'stage'])) ?? 'dev';
          return {
            value: null,
            // osls reports this as the reason the variable could not be resolved, after the property's path.
            eventualErrorMessage:
              `the param "${address}" is required for stage "${stage}" and is not set: ` +
              `add params.${stage}.${address} to serverless.yml or pass --param="${address}=<value>"`,
          };
        },
      },
    };
  }
}

module.exports = RequiredParams;
