"""Azure Service Bus, with the real azure-servicebus SDK: names, the client, and what fabctl sends on it."""
