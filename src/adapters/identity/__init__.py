"""Who fabctl acts as: azure-identity credentials and what their tokens say."""
