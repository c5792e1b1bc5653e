variable "central_vault_arn" {
  description = "The central account's vault"
  type        = string
}

variable "protected" {
  description = "ARNs to back up"
  type        = list(string)
}

resource "aws_kms_key" "vault" {
  description         = "local backup vault"
  enable_key_rotation = true
}

resource "aws_backup_vault" "local" {
  name        = "app-local"
  kms_key_arn = aws_kms_key.vault.arn
}

resource "aws_backup_plan" "this" {
  name = "daily-to-central"

  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.local.name
    schedule          = "cron(0 5 ? * * *)"

    lifecycle {
      delete_after = 35
    }

    copy_action {
      destination_vault_arn = var.central_vault_arn
      lifecycle {
        delete_after = 90
      }
    }
  }
}

resource "aws_backup_selection" "this" {
  name         = "tagged-app"
  iam_role_arn = "arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole"
  plan_id      = aws_backup_plan.this.id
  resources    = var.protected
}
