{{/* Names, labels and checks shared by the templates. */}}

{{- define "altgw.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name, at most 54 characters so "<fullname>-headless" still fits in 63. */}}
{{- define "altgw.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 54 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "altgw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "altgw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "altgw.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "altgw.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: gateway
{{- end -}}

{{- define "altgw.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "altgw.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "altgw.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* A duration such as 500ms, 5s, 2m or 1h (the schema allows only these forms) in milliseconds. */}}
{{- define "altgw.durationMs" -}}
{{- $text := toString . -}}
{{- $number := regexFind "^[0-9]+" $text -}}
{{- $unit := trimPrefix $number $text -}}
{{- $scale := dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 -}}
{{- if not (hasKey $scale $unit) -}}
{{- fail (printf "%q is not a duration such as 500ms, 5s, 2m or 1h" $text) -}}
{{- end -}}
{{- mul ($number | int64) (get $scale $unit) -}}
{{- end -}}

{{/* "grpc" or "http": how the kubelet probes. Its gRPC probe speaks plaintext only. */}}
{{- define "altgw.probeMode" -}}
{{- if eq .Values.probes.mode "auto" -}}
{{- ternary "http" "grpc" .Values.tls.enabled -}}
{{- else -}}
{{- .Values.probes.mode -}}
{{- end -}}
{{- end -}}

{{/* "configmap", "secret" or "": where the gateway's --config file comes from. */}}
{{- define "altgw.configSource" -}}
{{- if and .Values.auth.enabled .Values.auth.existingSecret -}}
secret
{{- else if or .Values.auth.enabled .Values.tables -}}
configmap
{{- end -}}
{{- end -}}

{{/* The gateway's config file (YAML, read with --config): the chart's values in the file's own key names. */}}
{{- define "altgw.configFile" -}}
# Written by the alternator-gateway chart. Tokens appear only as SHA-256 hex digests.
{{- with .Values.tables }}
tables:
{{- range $table, $settings := . }}
  {{ $table | quote }}:
    {{- with $settings.partitionKey }}
    partition_key: {{ . | quote }}
    {{- end }}
    {{- with $settings.keyAffinity }}
    key_affinity: {{ . }}
    {{- end }}
    {{- with $settings.versionAttribute }}
    version_attribute: {{ . | quote }}
    {{- end }}
{{- end }}
{{- end }}
{{- if .Values.auth.enabled }}
principals:
{{- range .Values.auth.principals }}
  - name: {{ .name | quote }}
    token_sha256:
    {{- range .tokenSha256 }}
      - {{ . | lower | quote }}
    {{- end }}
    tables:
    {{- range $table, $permissions := .tables }}
      {{ $table | quote }}: [{{ join ", " $permissions }}]
    {{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
Checks across values that a JSON schema cannot express. Rendered by the Deployment, so `helm template` and
`helm install` stop with the message before anything reaches the cluster.
*/}}
{{- define "altgw.validate" -}}
{{- $v := .Values -}}
{{- if not $v.backend.endpoints -}}
{{- fail "backend.endpoints: set at least one database endpoint URL (http://host:port or https://host:port)" -}}
{{- end -}}
{{- $drainMs := add (include "altgw.durationMs" $v.server.drainDelay | int64) (include "altgw.durationMs" $v.server.drainTimeout | int64) -}}
{{- $graceMs := mul ($v.terminationGracePeriodSeconds | int64) 1000 -}}
{{- if le $graceMs $drainMs -}}
{{- fail (printf "terminationGracePeriodSeconds (%ds) must be longer than server.drainDelay + server.drainTimeout (%s + %s), or Kubernetes kills pods that are still draining" ($v.terminationGracePeriodSeconds | int64) $v.server.drainDelay $v.server.drainTimeout) -}}
{{- end -}}
{{- if and $v.tls.enabled (not $v.tls.secretName) -}}
{{- fail "tls.secretName: tls.enabled needs a kubernetes.io/tls Secret with tls.crt and tls.key" -}}
{{- end -}}
{{- if and $v.tls.clientCA.enabled (not $v.tls.enabled) -}}
{{- fail "tls.clientCA.enabled: mutual TLS needs tls.enabled" -}}
{{- end -}}
{{- if and $v.tls.clientCA.enabled (not $v.tls.clientCA.secretName) -}}
{{- fail "tls.clientCA.secretName: mutual TLS needs a Secret holding the client CA bundle" -}}
{{- end -}}
{{- if and $v.tls.enabled (eq $v.probes.mode "grpc") -}}
{{- fail "probes.mode: the kubelet's gRPC probe cannot speak TLS; use auto or http with tls.enabled" -}}
{{- end -}}
{{- if and $v.auth.enabled (not $v.auth.principals) (not $v.auth.existingSecret) -}}
{{- fail "auth.principals: auth.enabled needs at least one principal (or auth.existingSecret)" -}}
{{- end -}}
{{- if and $v.auth.enabled $v.auth.existingSecret (or $v.auth.principals $v.tables) -}}
{{- fail "auth.existingSecret: the Secret's config.yaml is the whole config file; put principals and tables there, not in values" -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (gt ($v.autoscaling.minReplicas | int) ($v.autoscaling.maxReplicas | int)) -}}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" -}}
{{- end -}}
{{- end -}}
