#!/bin/sh
# Prints the small overlay's Secret shop-secrets with new random values (hex, so they need no
# escaping in a URL). Make it once, before the first apply:
#   sh apps/server/deploy/k8s/overlays/small/secrets.sh | kubectl -n shop create -f -
# `create`, not `apply`: PostgreSQL keeps the password it was first started with, so a second run
# must fail rather than replace it.
set -eu
random() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
postgres=$(random 24)
redis=$(random 24)
cat <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: shop-secrets
type: Opaque
stringData:
  SESSION_SECRET: "$(random 32)"
  POSTGRES_PASSWORD: "$postgres"
  DATABASE_URL: "postgres://shop:$postgres@shop-postgres:5432/shop"
  REDIS_PASSWORD: "$redis"
  REDIS_URL: "redis://:$redis@shop-redis:6379"
YAML
