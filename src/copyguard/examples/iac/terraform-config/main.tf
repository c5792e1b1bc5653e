# The source account's configuration (111122223333). Its plan, as CI makes it:
#   terraform plan -out tfplan && terraform show -json tfplan > plan.json
#   copyguard check plan.json ../terraform/central-plan.json ../terraform/organization.yaml
# copyguard finds this file beside plan.json and reports each finding at the line of its
# resource block (and, for the module's resources, in modules/backup/main.tf).

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "db_password" {
  type      = string
  sensitive = true
}

data "aws_caller_identity" "current" {}

/* The key policy below names only the account: the central account cannot use the key,
   so its copies fail. resource "aws_kms_key" "ebs" { is not a block inside this comment. */
data "aws_iam_policy_document" "ebs_key" {
  statement {
    sid       = "AccountAdmin"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_kms_key" "ebs" {
  description         = "EBS volumes of the app"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.ebs_key.json
}

resource "aws_ebs_volume" "data" {
  count             = 1
  availability_zone = "us-east-1a"
  size              = 100
  type              = "gp3"
  encrypted         = true
  kms_key_id        = aws_kms_key.ebs.arn
  tags = {
    backup = "daily"
  }
}

resource "aws_db_instance" "orders" {
  identifier          = "orders"
  engine              = "postgres"
  instance_class      = "db.t4g.micro"
  allocated_storage   = 20
  username            = "app"
  password            = var.db_password
  storage_encrypted   = true # no kms_key_id: the AWS managed aws/rds key
  skip_final_snapshot = true
}

module "backup" {
  source            = "./modules/backup"
  central_vault_arn = "arn:aws:backup:us-east-1:444455556666:backup-vault:central"
  protected         = [aws_ebs_volume.data[0].arn, aws_db_instance.orders.arn]
}
