// fabctl as a service: the Azure resources of docs/azure.md, and the roles its managed identity needs.
//
// What it creates, in the resource group it is deployed to:
//   - a Service Bus namespace (Standard: topics need it) with the topic fabctl publishes its events to
//     (duplicate detection on, so a re-sent event id is dropped), one subscription with sessions (ordered
//     per workspace or promotion), and the sessionful command queue;
//   - a storage account: fabctl's state (a table and a container) and the Functions host's own storage;
//   - a Linux Consumption plan and the Function app, with a system-assigned managed identity;
//   - role assignments for that identity: Service Bus Data Sender and Receiver on the namespace,
//     Storage Table Data Contributor and Storage Blob Data Contributor on the account.
// The Fabric workspace role (Contributor, or Admin to create workspaces) is granted in Fabric, not here.
//
// Deploy: az deployment group create -g <group> -f infra/main.bicep -p prefix=<name>
// This template was not compiled or deployed here: no Bicep CLI is reachable from this workplace.

@description('A short lowercase name the resources are named after (3-11 letters and digits).')
@minLength(3)
@maxLength(11)
param prefix string

param location string = resourceGroup().location

@description('The Fabric REST API fabctl deploys through.')
param fabricUrl string = 'https://api.fabric.microsoft.com'

var eventsTopic = 'fabctl-events'
var commandsQueue = 'fabctl-commands'
var suffix = uniqueString(resourceGroup().id)

// Built-in role definition ids (they are the same in every tenant).
var roles = {
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
}

resource bus 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: '${prefix}-bus-${suffix}'
  location: location
  sku: { name: 'Standard', tier: 'Standard' }
  properties: { disableLocalAuth: true } // identities only: no shared access keys to leak
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2022-10-01-preview' = {
  parent: bus
  name: eventsTopic
  properties: {
    requiresDuplicateDetection: true // a relay that re-sends after a crash uses the same message id
    duplicateDetectionHistoryTimeWindow: 'PT1H'
    supportOrdering: true
  }
}

resource subscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2022-10-01-preview' = {
  parent: topic
  name: 'audit'
  properties: {
    requiresSession: true // one ordered stream per workspace or promotion
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: true
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = {
  parent: bus
  name: commandsQueue
  properties: {
    requiresSession: true // commands for one workspace are handled one at a time, in order
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT1H'
    maxDeliveryCount: 5 // then the dead-letter queue
    lockDuration: 'PT5M'
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: '${prefix}${suffix}'
  location: location
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
  }
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${prefix}-plan-${suffix}'
  location: location
  sku: { name: 'Y1', tier: 'Dynamic' }
  kind: 'functionapp'
  properties: { reserved: true } // Linux
}

resource app 'Microsoft.Web/sites@2023-12-01' = {
  name: '${prefix}-fn-${suffix}'
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'Python|3.11'
      appSettings: [
        { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
        { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'python' }
        // The Functions host's own storage (its leases and timers), not fabctl's state.
        {
          name: 'AzureWebJobsStorage'
          value: 'DefaultEndpointsProtocol=https;AccountName=${storage.name};EndpointSuffix=${environment().suffixes.storage};AccountKey=${storage.listKeys().keys[0].value}'
        }
        // The queue trigger's connection, by identity (src/entrypoints/functions/queue.py names it FABCTL_SERVICEBUS).
        { name: 'FABCTL_SERVICEBUS__fullyQualifiedNamespace', value: '${bus.name}.servicebus.windows.net' }
        { name: 'FABCTL_EVENT_BUS', value: 'servicebus' }
        { name: 'FABCTL_SERVICEBUS_NAMESPACE', value: '${bus.name}.servicebus.windows.net' }
        { name: 'FABCTL_EVENTS_TOPIC', value: eventsTopic }
        { name: 'FABCTL_COMMANDS_QUEUE', value: commandsQueue }
        { name: 'FABCTL_STATE_STORE', value: 'azure' }
        { name: 'FABCTL_STORAGE_ACCOUNT_URL', value: storage.name }
        { name: 'FABCTL_FABRIC_URL', value: fabricUrl }
      ]
    }
  }
}

resource busSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: bus
  name: guid(bus.id, app.id, roles.serviceBusDataSender)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource busReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: bus
  name: guid(bus.id, app.id, roles.serviceBusDataReceiver)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, app.id, roles.storageTableDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource blobContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, app.id, roles.storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output functionApp string = app.name
output serviceBusNamespace string = '${bus.name}.servicebus.windows.net'
output storageAccount string = storage.name
output principalId string = app.identity.principalId
