// Service Bus namespace with the `jobs` queue that carries inference jobs to the worker function.
// SAS keys are disabled (disableLocalAuth): senders and receivers authenticate with Entra ID.

param location string
param tags object
param name string

@description('Name of the inference jobs queue.')
param queueName string

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  // Standard: queues with duplicate detection and dead-lettering; Basic lacks duplicate detection.
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource jobsQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: queueName
  properties: {
    // Redeliveries before a message goes to jobs/$deadletterqueue, where the dead-letter trigger
    // marks the job failed. Matches the host's retry expectations (ARCHITECTURE §3, §9).
    maxDeliveryCount: 10
    // The maximum Service Bus allows. The trigger renews the lock (maxAutoLockRenewalDuration),
    // and a longer lock means fewer renewals and fewer duplicate runs after a lost renewal.
    lockDuration: 'PT5M'
    // A job nobody processed within a week is dead-lettered (and so marked failed), not kept forever.
    defaultMessageTimeToLive: 'P7D'
    deadLetteringOnMessageExpiration: true
    // The sender sets messageId = job id, so a retried submit within the window is dropped by the
    // broker instead of running the job twice.
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT1H'
    enableBatchedOperations: true
    maxSizeInMegabytes: 1024
  }
}

output name string = namespace.name
// serviceBusEndpoint is https://<ns>.servicebus.windows.net:443/; the SDK and the trigger want the
// bare host name. Derived rather than hard-coded so sovereign clouds work too.
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '/')[2], ':')[0]
output queueName string = jobsQueue.name
