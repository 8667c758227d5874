# Fabric notebook source

# METADATA ********************

# META {
# META   "kernel_info": {
# META     "name": "synapse_pyspark"
# META   }
# META }

# CELL ********************

# A sample item: replace it with your own (export them with `fabctl init --from-workspace NAME`).
# parameter.yml rewrites the storage account below for test and prod.
landing = "abfss://landing@contosodevdata.dfs.core.windows.net/"
print(f"files land in {landing}")

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }
