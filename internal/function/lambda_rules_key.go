package function

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/trailhound/trailhound/internal/settings"
)

// maxKeyParameter bounds the key text read from SSM (an advanced parameter holds 8 KB).
const maxKeyParameter = 8 << 10

// parameterAPI is what rulesKeyMaterial calls on SSM.
type parameterAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// rulesKeyMaterial returns the bundle verification key material and the setting it came
// from: RULES_PUBLIC_KEY as is, or the value of the SSM parameter RULES_PUBLIC_KEY_PARAMETER
// names (decrypted if it is a SecureString). A multi-line PEM survives an SSM parameter
// (aws ssm put-parameter --value file://public.pem) where `sam deploy --parameter-overrides`
// splits it at its spaces. It is read once, at init. It returns "" when neither is set
// (settings.LoadBundle refuses both set).
func rulesKeyMaterial(ctx context.Context, newSSM func() parameterAPI, b settings.Bundle) (material, from string, err error) {
	name := b.KeyParameter
	if name == "" {
		return b.PublicKey, settings.RulesPublicKey.Name, nil
	}
	param := settings.RulesPublicKeyParameter.Name
	out, err := newSSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", param, fmt.Errorf("read SSM parameter %s: %w", name, err)
	}
	if out.Parameter == nil || strings.TrimSpace(aws.ToString(out.Parameter.Value)) == "" {
		return "", param, fmt.Errorf("SSM parameter %s is empty", name)
	}
	v := aws.ToString(out.Parameter.Value)
	if len(v) > maxKeyParameter {
		return "", param, errors.New("SSM parameter " + name + " holds more than 8 KB: not a key")
	}
	return v, param + " " + name, nil
}
