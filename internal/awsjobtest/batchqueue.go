package awsjobtest

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"quarry/internal/awstest"
)

// BatchQueue is a Batch job queue and job definition on moto_server, with
// a client of the emulator to look at the jobs submitted to it.
type BatchQueue struct {
	Client        *awsbatch.Client
	Queue         string // job queue name
	JobDefinition string // job definition name
}

// NewBatchQueue prepares Batch on the emulator at endpoint for a runner:
// jobs run without Docker (RunBatchJobsWithoutDocker), and an unmanaged
// compute environment, job queue and container job definition named after
// name are created.
func NewBatchQueue(ctx context.Context, endpoint, name string) (*BatchQueue, error) {
	if err := RunBatchJobsWithoutDocker(ctx, endpoint); err != nil {
		return nil, err
	}
	role, err := CreateRole(ctx, endpoint, "quarry-batch-service")
	if err != nil {
		return nil, err
	}
	q := &BatchQueue{Queue: name + "-queue", JobDefinition: name + "-trainer",
		Client: awsbatch.New(awsbatch.Options{Region: awstest.Region, BaseEndpoint: aws.String(endpoint),
			Credentials: credentials.NewStaticCredentialsProvider(awstest.AccessKeyID, awstest.SecretAccessKey, "")})}
	ce, err := q.Client.CreateComputeEnvironment(ctx, &awsbatch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String(name + "-ce"), Type: types.CETypeUnmanaged, ServiceRole: aws.String(role)})
	if err != nil {
		return nil, fmt.Errorf("batch queue %s: %w", name, err)
	}
	_, err = q.Client.CreateJobQueue(ctx, &awsbatch.CreateJobQueueInput{JobQueueName: aws.String(q.Queue),
		State: types.JQStateEnabled, Priority: aws.Int32(1), ComputeEnvironmentOrder: []types.ComputeEnvironmentOrder{
			{ComputeEnvironment: ce.ComputeEnvironmentArn, Order: aws.Int32(1)}}})
	if err != nil {
		return nil, fmt.Errorf("batch queue %s: %w", name, err)
	}
	// Legacy vcpus/memory: moto answers resourceRequirements with numbers
	// ("1.0") that the SDK refuses to decode.
	_, err = q.Client.RegisterJobDefinition(ctx, &awsbatch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String(q.JobDefinition), Type: types.JobDefinitionTypeContainer,
		ContainerProperties: &types.ContainerProperties{Image: aws.String("quarry-trainer:latest"),
			Vcpus: aws.Int32(4), Memory: aws.Int32(15000)}})
	if err != nil {
		return nil, fmt.Errorf("batch queue %s: %w", name, err)
	}
	return q, nil
}

// Jobs returns the jobs of the queue whose names start with prefix, by
// name, whatever their status.
func (q *BatchQueue) Jobs(ctx context.Context, prefix string) (map[string]types.JobSummary, error) {
	in := &awsbatch.ListJobsInput{JobQueue: aws.String(q.Queue),
		Filters: []types.KeyValuesPair{{Name: aws.String("JOB_NAME"), Values: []string{prefix + "*"}}}}
	out := map[string]types.JobSummary{}
	for p := awsbatch.NewListJobsPaginator(q.Client, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list jobs of %s: %w", q.Queue, err)
		}
		for _, j := range page.JobSummaryList {
			out[aws.ToString(j.JobName)] = j
		}
	}
	return out, nil
}
