package function

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// EnvRulesPublicKeyParameter names an SSM parameter holding the bundle verification key (the
// PEM text), in place of RULES_PUBLIC_KEY: a multi-line PEM survives an SSM parameter
// (aws ssm put-parameter --value file://public.pem) where `sam deploy --parameter-overrides`
// splits it at its spaces. Read once at init; both set is a configuration error.
const EnvRulesPublicKeyParameter = "RULES_PUBLIC_KEY_PARAMETER"

// maxKeyParameter bounds the key text read from SSM (an advanced parameter holds 8 KB).
const maxKeyParameter = 8 << 10

// parameterAPI is what rulesKeyMaterial calls on SSM.
type parameterAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// rulesKeyMaterial returns the bundle verification key material and the setting it came
// from: RULES_PUBLIC_KEY as is, or the value of the SSM parameter RULES_PUBLIC_KEY_PARAMETER
// names (decrypted if it is a SecureString). It returns "" when neither is set.
func rulesKeyMaterial(ctx context.Context, newSSM func() parameterAPI, getenv func(string) string) (material, from string, err error) {
	direct, name := getenv(EnvRulesPublicKey), strings.TrimSpace(getenv(EnvRulesPublicKeyParameter))
	switch {
	case name == "":
		return direct, EnvRulesPublicKey, nil
	case strings.TrimSpace(direct) != "":
		return "", EnvRulesPublicKeyParameter, fmt.Errorf("set %s or %s, not both", EnvRulesPublicKey, EnvRulesPublicKeyParameter)
	}
	out, err := newSSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", EnvRulesPublicKeyParameter, fmt.Errorf("read SSM parameter %s: %w", name, err)
	}
	if out.Parameter == nil || strings.TrimSpace(aws.ToString(out.Parameter.Value)) == "" {
		return "", EnvRulesPublicKeyParameter, fmt.Errorf("SSM parameter %s is empty", name)
	}
	v := aws.ToString(out.Parameter.Value)
	if len(v) > maxKeyParameter {
		return "", EnvRulesPublicKeyParameter, errors.New("SSM parameter " + name + " holds more than 8 KB: not a key")
	}
	return v, EnvRulesPublicKeyParameter + " " + name, nil
}
