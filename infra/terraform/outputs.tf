# What the runtime settings need; no secret values (those are in Key Vault).
output "eventhubs_namespace" {
  description = "The Event Hubs namespace."
  value       = azurerm_eventhub_namespace.scout.name
}

output "kafka_bootstrap" {
  description = "The namespace's Kafka endpoint (SCOUT_KAFKA_BOOTSTRAP for Spark)."
  value       = "${azurerm_eventhub_namespace.scout.name}.servicebus.windows.net:9093"
}

output "hubs" {
  description = "The hubs, as the medallion subscribes to them."
  value       = sort(keys(azurerm_eventhub.hub))
}

output "medallion_consumer_group" {
  description = "The consumer group the medallion reads every hub with."
  value       = "medallion"
}

output "key_vault_uri" {
  description = "The key vault holding the connection strings (a Databricks secret scope can be backed by it)."
  value       = azurerm_key_vault.scout.vault_uri
}

output "connection_string_secrets" {
  description = "Names of the Key Vault secrets with the connection strings: devices (send) and Spark (listen)."
  value = {
    devices = azurerm_key_vault_secret.devices.name
    spark   = azurerm_key_vault_secret.spark.name
  }
}

output "capture_container" {
  description = "Where Capture writes the hubs' Avro files."
  value       = "abfss://${azurerm_storage_container.capture.name}@${azurerm_storage_account.capture.name}.dfs.core.windows.net/"
}
