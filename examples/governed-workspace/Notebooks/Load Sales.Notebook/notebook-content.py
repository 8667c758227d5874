# Fabric notebook source

# METADATA ********************

# META {
# META   "kernel_info": {
# META     "name": "synapse_pyspark"
# META   },
# META   "dependencies": {
# META     "lakehouse": {
# META       "default_lakehouse": "b0dfe8c3-68ed-46d8-a40b-967c750b403d",
# META       "default_lakehouse_name": "SalesLakehouse",
# META       "default_lakehouse_workspace_id": "00000000-0000-0000-0000-000000000000",
# META       "known_lakehouses": [
# META         {
# META           "id": "b0dfe8c3-68ed-46d8-a40b-967c750b403d"
# META         }
# META       ]
# META     },
# META     "environment": {
# META       "environmentId": "25cd8656-9696-4efc-842e-0c6eda65befa",
# META       "workspaceId": "00000000-0000-0000-0000-000000000000"
# META     }
# META   }
# META }

# PARAMETERS CELL ********************

run_date = "2024-01-01"

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }

# CELL ********************

# Raw files land in the storage account of each environment; parameter.yml swaps the account.
RAW_PATH = "abfss://raw@contosodevsales.dfs.core.windows.net/sales"

raw = (
    spark.read.option("header", "true")
    .option("inferSchema", "true")
    .csv(f"{RAW_PATH}/{run_date}/*.csv")
)

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }

# CELL ********************

from pyspark.sql import functions as F

bronze = raw.withColumn("load_date", F.lit(run_date)).withColumn("source_file", F.input_file_name())
bronze.write.mode("append").format("delta").saveAsTable("dbo.sales_bronze")

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }
