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
# META       "default_lakehouse_workspace_id": "00000000-0000-0000-0000-000000000000"
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

from pyspark.sql import functions as F

bronze = spark.read.table("dbo.sales_bronze").where(F.col("load_date") == run_date)

sales = (
    bronze.dropDuplicates(["order_id"])
    .withColumn("order_date", F.to_date("order_date"))
    .withColumn("revenue", F.col("quantity") * F.col("unit_price"))
    .select("order_id", "order_date", "customer_id", "product_id", "quantity", "unit_price", "revenue", "load_date")
)

# Rerunning a day replaces that day only.
sales.write.mode("overwrite").option("replaceWhere", f"load_date = '{run_date}'").format(
    "delta"
).saveAsTable("dbo.sales")

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }

# CELL ********************

ALERT_TO = "sales-alerts-dev@contoso.com"

if sales.count() == 0:
    notebookutils.notebook.exit(f"no sales loaded for {run_date}; alerting {ALERT_TO}")

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }
